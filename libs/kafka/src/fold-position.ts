import { Admin, KafkaJSError } from 'kafkajs';

/** How far the stored positions are into what the topic held: records folded of those to fold. */
export interface FoldProgress {
  folded: bigint;
  needed: bigint;
}

/** A partition not folded to its end: the position stored for it, and the end it has to reach. */
export interface LaggingPartition {
  partition: number;
  folded: bigint;
  needed: bigint;
}

/** A partition's log: `low` its first offset still held (records before it deleted or expired), `high` the next to be written. */
export interface PartitionLog {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The positions a consumer group stored (with what it folded), by partition. */
export type StoredPositions = () => Promise<ReadonlyMap<number, bigint>>;

export class BarrierTimeoutError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly lagging: LaggingPartition[],
    topic = 'Kafka',
  ) {
    super(
      `the aggregator has not folded everything ${topic} held when the wait began (waited ${Math.round(waitedMs / 1000)} s): ` +
        lagging
          .map((l) => `partition ${l.partition} at ${l.folded} of ${l.needed} (${l.needed - l.folded} behind)`)
          .join('; ') +
        '. Is the aggregator running?',
    );
  }
}

/**
 * The stored positions against the logs. A partition with no stored position, or one below
 * its log start, is at its log start: records that are gone have nothing left to fold, so a
 * partition whose records all expired is folded although nothing ever stored a position for it.
 */
export function foldState(
  logs: readonly PartitionLog[],
  stored: ReadonlyMap<number, bigint>,
): FoldProgress & { lagging: LaggingPartition[] } {
  let folded = 0n;
  let needed = 0n;
  const lagging: LaggingPartition[] = [];
  for (const { partition, low, high } of logs) {
    const given = stored.get(partition);
    const at = given === undefined || given < low ? low : given;
    needed += high - low;
    folded += (at < high ? at : high) - low;
    if (at < high) lagging.push({ partition, folded: at, needed: high });
  }
  return { folded, needed, lagging };
}

/**
 * The topic's log starts and ends now. A partition whose leader is moving, or was just elected
 * (a broker that has just started), answers "not the leader" for a moment: asked again, with
 * fresh metadata, until `deadline`.
 */
export async function partitionLogs(admin: Admin, topic: string, deadline: number): Promise<PartitionLog[]> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
    } catch (e) {
      if (!(e instanceof KafkaJSError && e.retriable) || Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}

/** The records of `topic` a consumer group has not folded yet, counted as untilFolded counts them. */
export async function foldLag(admin: Admin, topic: string, stored: StoredPositions): Promise<bigint> {
  const state = foldState(await partitionLogs(admin, topic, Date.now() + 10_000), await stored());
  return state.needed - state.folded;
}

const POLL_MS = 100;

/**
 * Resolves once the stored positions (in Postgres, committed with the projections) reach the
 * ends `topic` had when this was called, so everything written before it is folded: the close's
 * barrier, and every test, scenario and benchmark that waits for the fold. A read of the
 * positions that fails (a database restarting) counts as not yet; if reads still fail at the
 * deadline, the last failure is thrown rather than a timeout that would blame the aggregator.
 */
export async function untilFolded(opts: {
  admin: Admin;
  topic: string;
  stored: StoredPositions;
  timeoutMs: number;
  onProgress?: (p: FoldProgress) => void;
}): Promise<void> {
  const started = Date.now();
  const logs = await partitionLogs(opts.admin, opts.topic, started + opts.timeoutMs);
  for (;;) {
    const read = await opts.stored().then(
      (positions) => ({ positions }),
      (error: unknown) => ({ error }),
    );
    const waited = Date.now() - started;
    if ('positions' in read) {
      const { folded, needed, lagging } = foldState(logs, read.positions);
      opts.onProgress?.({ folded, needed });
      if (lagging.length === 0) return;
      if (waited >= opts.timeoutMs) throw new BarrierTimeoutError(waited, lagging, opts.topic);
    } else if (waited >= opts.timeoutMs) {
      throw read.error;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
