import { WireReader, WireWriter } from './wire';

/**
 * The three Kafka requests an idempotent producer needs, at versions every broker from 2.x
 * through 4.x serves (4.0 removed Produce v0-2 and Metadata v0-3, not these). Encoders write
 * the request body; decoders read the response body after its correlation id.
 */
export interface ApiRequest<T> {
  apiKey: number;
  apiVersion: number;
  /** Bytes the body will take, roughly, so that a large request is written without regrowing its buffer. */
  sizeHint?: number;
  write(w: WireWriter): void;
  read(r: WireReader): T;
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface TopicMetadata {
  brokers: BrokerAddress[];
  errorCode: number;
  /** Leader node of each partition, by partition index; -1 while a partition has none. */
  leaders: number[];
}

export function metadataRequest(topic: string): ApiRequest<TopicMetadata> {
  return {
    apiKey: 3,
    apiVersion: 4,
    write: (w) => {
      w.int32(1).string(topic).bool(false); // one topic; never create it by asking
    },
    read: (r) => {
      r.int32(); // throttle time
      const brokers = r.array((b) => {
        const nodeId = b.int32();
        const host = b.string();
        const port = b.int32();
        b.nullableString(); // rack
        return { nodeId, host, port };
      });
      r.nullableString(); // cluster id
      r.int32(); // controller
      const topics = r.array((t) => {
        const errorCode = t.int16();
        const name = t.string();
        t.bool(); // internal
        const partitions = t.array((p) => {
          p.int16(); // partition error: a missing leader shows as -1 below
          const index = p.int32();
          const leader = p.int32();
          p.array((x) => x.int32()); // replicas
          p.array((x) => x.int32()); // in-sync replicas
          return { index, leader };
        });
        return { errorCode, name, partitions };
      });
      const mine = topics.find((t) => t.name === topic);
      const leaders: number[] = [];
      for (const p of mine?.partitions ?? []) leaders[p.index] = p.leader;
      return { brokers, errorCode: mine ? mine.errorCode : ERR.UNKNOWN_TOPIC_OR_PARTITION, leaders };
    },
  };
}

export interface ProducerIdentity {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export function initProducerIdRequest(): ApiRequest<ProducerIdentity> {
  return {
    apiKey: 22,
    apiVersion: 1,
    write: (w) => {
      w.nullableString(null).int32(60_000); // not transactional
    },
    read: (r) => {
      r.int32(); // throttle time
      const errorCode = r.int16();
      return { errorCode, producerId: r.int64(), producerEpoch: r.int16() };
    },
  };
}

export interface PartitionResult {
  partition: number;
  errorCode: number;
}

/** A produce request whose record batches (one per partition) are already encoded. */
export function produceRequest(
  topic: string,
  timeoutMs: number,
  batches: ReadonlyMap<number, Buffer>,
): ApiRequest<PartitionResult[]> {
  let sizeHint = 64 + topic.length;
  for (const b of batches.values()) sizeHint += 8 + b.length;
  return {
    apiKey: 0,
    apiVersion: 3,
    sizeHint,
    write: (w) => {
      w.nullableString(null).int16(-1).int32(timeoutMs); // acks from all in-sync replicas
      w.int32(1).string(topic).int32(batches.size);
      for (const [partition, bytes] of batches) w.int32(partition).int32(bytes.length).raw(bytes);
    },
    read: (r) => {
      const results: PartitionResult[] = [];
      r.array((t) => {
        t.string();
        t.array((p) => {
          const partition = p.int32();
          const errorCode = p.int16();
          p.int64(); // base offset
          p.int64(); // log append time
          results.push({ partition, errorCode });
        });
      });
      r.int32(); // throttle time
      return results;
    },
  };
}

/** The error codes a producer acts on (the full list is Kafka's org.apache.kafka.common.protocol.Errors). */
export const ERR = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
} as const;

const NAMES = new Map<number, string>(Object.entries(ERR).map(([name, code]) => [code, name]));

export function errorName(code: number): string {
  return NAMES.get(code) ?? `error ${code}`;
}

// Errors after which sending the very same batch again is safe and may succeed: the broker
// deduplicates it by producer id and sequence if an earlier attempt did land.
const RETRIABLE = new Set<number>([
  ERR.UNKNOWN_TOPIC_OR_PARTITION,
  ERR.LEADER_NOT_AVAILABLE,
  ERR.NOT_LEADER_OR_FOLLOWER,
  ERR.REQUEST_TIMED_OUT,
  ERR.NETWORK_EXCEPTION,
  ERR.COORDINATOR_LOAD_IN_PROGRESS,
  ERR.COORDINATOR_NOT_AVAILABLE,
  ERR.NOT_COORDINATOR,
  ERR.NOT_ENOUGH_REPLICAS,
  ERR.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ERR.KAFKA_STORAGE_ERROR,
  ERR.FENCED_LEADER_EPOCH,
  ERR.UNKNOWN_LEADER_EPOCH,
]);

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}
