import type { Admin } from 'kafkajs';
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
  const ends = await opts.admin.fetchTopicOffsets(opts.topic);
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
