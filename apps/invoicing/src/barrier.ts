import { Admin, KafkaJSError } from 'kafkajs';
import type { ProjectionStore } from '@metering/db';
import { BarrierTimeoutError } from './errors';

export interface BarrierProgress {
  folded: bigint;
  needed: bigint;
}

/**
 * Waits until the aggregator's stored positions (Postgres, committed with the projections)
 * reach the end offsets Kafka had when the close began, so every event accepted before the
 * close is in the projections the close reads.
 */
export async function waitUntilFolded(opts: {
  admin: Admin;
  store: ProjectionStore;
  group: string;
  topic: string;
  timeoutMs: number;
  onProgress?: (p: BarrierProgress) => void;
}): Promise<void> {
  const started = Date.now();
  const ends = await endOffsets(opts.admin, opts.topic, started + opts.timeoutMs);
  for (;;) {
    const stored = await opts.store.storedOffsets(opts.group, opts.topic);
    let folded = 0n;
    let needed = 0n;
    const lagging: BarrierTimeoutError['lagging'] = [];
    for (const e of ends) {
      const high = BigInt(e.high);
      const low = BigInt(e.low);
      const at = stored.get(e.partition) ?? low;
      needed += high - low;
      folded += (at < high ? at : high) - low;
      if (at < high) lagging.push({ partition: e.partition, folded: at, needed: high });
    }
    opts.onProgress?.({ folded, needed });
    if (lagging.length === 0) return;
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) throw new BarrierTimeoutError(waited, lagging);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The topic's end offsets now. A partition whose leader is moving, or was just elected (a broker
 * that has just started), answers "not the leader" for a moment: asked again, with fresh
 * metadata, until the barrier's deadline.
 */
async function endOffsets(admin: Admin, topic: string, deadline: number): ReturnType<Admin['fetchTopicOffsets']> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (e) {
      if (!(e instanceof KafkaJSError && e.retriable) || Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
