import type { ApiRequest } from './kafka-protocol';
import type { AbortedTransaction } from './record-set';

export interface FetchPartition {
  partition: number;
  offset: bigint;
  maxBytes: number;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  aborted: AbortedTransaction[];
  /** The record batches, a view into the response (null or empty when there are none). */
  records: Buffer | null;
}

export interface FetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
}

/** Read only what a transaction committed (the broker stops at the last stable offset). */
const READ_COMMITTED = 1;

/**
 * Fetch v5 (every broker from 1.0 through 4.x serves it; 4.0 dropped v0-3): one topic's
 * partitions from their offsets. The records come back as the broker stores them, record
 * batches, and are read in place by parseRecordBatches.
 */
export function fetchRequest(
  topic: string,
  partitions: readonly FetchPartition[],
  o: FetchOptions,
): ApiRequest<FetchedPartition[]> {
  return {
    apiKey: 1,
    apiVersion: 5,
    write: (w) => {
      w.int32(-1).int32(o.maxWaitMs).int32(o.minBytes).int32(o.maxBytes).int8(READ_COMMITTED);
      w.int32(1).string(topic).int32(partitions.length);
      for (const p of partitions) w.int32(p.partition).int64(p.offset).int64(-1n).int32(p.maxBytes);
    },
    read: (r) => {
      r.int32(); // throttle time
      const topics = r.array((t) => {
        const name = t.string();
        const parts = t.array((p): FetchedPartition => {
          const partition = p.int32();
          const errorCode = p.int16();
          const highWatermark = p.int64();
          p.int64(); // last stable offset
          p.int64(); // log start offset
          const aborted = p.array((a) => ({ producerId: a.int64(), firstOffset: a.int64() }));
          return { partition, errorCode, highWatermark, aborted, records: p.nullableBytes() };
        });
        return { name, parts };
      });
      return topics.filter((t) => t.name === topic).flatMap((t) => t.parts);
    },
  };
}
