import { FetchedBatch, PartitionFetcher, PartitionFetcherOptions } from './partition-fetcher';
import { ProduceSession, SessionOptions } from './produce-session';
import type { OutRecord } from './record-batch';

/**
 * The two roles a Kafka client plays for us, whichever client implements them; nothing above
 * these knows which. A record source reads the partitions it is given from the positions it is
 * set to and hands on whole batches in each partition's order (the next waits for `deliver`).
 */
export interface RecordSource {
  /** Reads `partition` from `offset` on; it stays assigned until `retain` leaves it out. */
  seek(partition: number, offset: bigint): void;
  /** The assignment: stops reading every partition not listed. */
  retain(partitions: readonly number[]): void;
  pause(partitions: readonly number[]): void;
  resume(partitions: readonly number[]): void;
  start(): void;
  stop(): Promise<void>;
}

export type RecordSourceOptions = PartitionFetcherOptions;
export type { FetchedBatch, OutRecord };

/**
 * A record sink: acknowledged idempotent produce. `produce` resolves once every batch is
 * acknowledged by all in-sync replicas, each written under one producer id and sequence, so a
 * retry after an unknown outcome is dropped by the broker rather than written twice.
 */
export interface RecordSink {
  /** The partition a key goes to: the Java client's and kafkajs' murmur2 placement. */
  partitionOf(key: string): number;
  produce(byPartition: ReadonlyMap<number, readonly OutRecord[]>, deadline: number): Promise<void>;
  refreshMetadata(deadline: number): Promise<void>;
  close(): void;
}

export type RecordSinkOptions = SessionOptions;

export type OpenRecordSource = (o: RecordSourceOptions) => RecordSource;
export type OpenRecordSink = (o: RecordSinkOptions, deadline: number) => Promise<RecordSink>;

/** Our own wire client: Fetch straight from the leaders, batches read in place (partition-fetcher). */
export const wireRecordSource: OpenRecordSource = (o) => new PartitionFetcher(o);
/** Our own wire client: one idempotent producer session (produce-session). */
export const wireRecordSink: OpenRecordSink = (o, deadline) => ProduceSession.open(o, deadline);
