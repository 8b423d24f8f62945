import type { KafkaSecurity } from '@metering/service';
import { PartitionMetadata, Partitioners } from 'kafkajs';
import { BrokerConnection } from './broker-connection';
import {
  BrokerAddress,
  ERR,
  errorName,
  initProducerIdRequest,
  isRetriable,
  metadataRequest,
  produceRequest,
  ProducerIdentity,
  TopicMetadata,
} from './kafka-protocol';
import { OutRecord, writeRecordBatch } from './record-batch';
import { WireWriter } from './wire';

export interface SessionOptions {
  brokers: readonly string[];
  topic: string;
  clientId: string;
  /** How long to wait for a TCP connection to a broker. */
  connectTimeoutMs?: number;
  /** TLS and SASL; the environment's (KAFKA_SSL, KAFKA_SASL_*) when not given. */
  security?: KafkaSecurity;
}

/** The session cannot produce any more; a new one (a new producer id) must take over. */
export class SessionFailedError extends Error {}

const SEQUENCE_LIMIT = 2 ** 31; // sequences wrap to 0 after Int32.MAX, as the broker expects
const MAX_BACKOFF_MS = 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One idempotent producer: a producer id from the broker and a sequence number per partition,
 * so the broker stores each batch once however often it is sent. A batch whose outcome is
 * unknown (timeout, lost connection, a leader moving) is sent again with the very same bytes
 * until it is acknowledged or the deadline passes. Once a send gives up, the broker may or may
 * not hold that batch, so the sequences are no longer known to match: the session refuses
 * every later send and its owner opens a new one. Reusing it could make the broker take the next,
 * different batch for a duplicate of the lost one and drop it while acknowledging it.
 */
export class ProduceSession {
  private readonly connections = new Map<number, BrokerConnection>();
  private readonly sequences: number[] = [];
  private readonly partitionCache = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionMetadata: PartitionMetadata[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly opts: SessionOptions,
    private metadata: TopicMetadata,
    private readonly identity: ProducerIdentity,
  ) {
    this.setMetadata(metadata);
  }

  /** Connects, reads the topic's partitions and obtains a producer id; rejects at the deadline. */
  static async open(opts: SessionOptions, deadline: number): Promise<ProduceSession> {
    const bootstrap = await connectToAny(opts, deadline);
    try {
      const metadata = await retrying<TopicMetadata>(deadline, async (remaining) => {
        const m = await bootstrap.send(metadataRequest(opts.topic), remaining);
        if (m.errorCode === ERR.UNKNOWN_TOPIC_OR_PARTITION)
          throw new SessionFailedError(`topic '${opts.topic}' does not exist`);
        if (m.errorCode !== ERR.NONE) return { retry: `metadata of '${opts.topic}': ${errorName(m.errorCode)}` };
        return { value: m };
      });
      const identity = await retrying<ProducerIdentity>(deadline, async (remaining) => {
        const id = await bootstrap.send(initProducerIdRequest(), remaining);
        if (id.errorCode === ERR.NONE) return { value: id };
        if (isRetriable(id.errorCode)) return { retry: `producer id: ${errorName(id.errorCode)}` };
        throw new SessionFailedError(`producer id refused: ${errorName(id.errorCode)}`);
      });
      const session = new ProduceSession(opts, metadata, identity);
      const node = metadata.brokers.find((b) => `${b.host}:${b.port}` === bootstrap.address);
      if (node) session.connections.set(node.nodeId, bootstrap);
      else bootstrap.close();
      return session;
    } catch (e) {
      bootstrap.close();
      throw e;
    }
  }

  /** The partition of a key: murmur2 as the Java client and kafkajs place keys, so tools agree. */
  partitionOf(key: string): number {
    let p = this.partitionCache.get(key);
    if (p === undefined) {
      p = this.partitioner({
        topic: this.opts.topic,
        partitionMetadata: this.partitionMetadata,
        message: { key, value: null },
      });
      this.partitionCache.set(key, p);
    }
    return p;
  }

  /** Resolves once the broker acknowledged every batch (acks from all in-sync replicas). */
  async produce(byPartition: ReadonlyMap<number, readonly OutRecord[]>, deadline: number): Promise<void> {
    if (this.failure) throw this.failure;
    const timestamp = Date.now();
    // Encoded once: a retry must carry the same bytes and sequences for the broker to deduplicate it.
    const batches = new Map<number, Buffer>();
    for (const [partition, records] of byPartition) {
      const w = new WireWriter(records.length * 200 + 128);
      const { producerId, producerEpoch } = this.identity;
      writeRecordBatch(
        w,
        { producerId, producerEpoch, baseSequence: this.sequences[partition] ?? 0 },
        timestamp,
        records,
      );
      batches.set(partition, w.bytes());
    }
    let backoff = 25;
    let lastProblem = '';
    while (batches.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.fail(`Kafka did not acknowledge in time${lastProblem ? ` (${lastProblem})` : ''}`);
      const byLeader = new Map<number, Map<number, Buffer>>();
      let stale = false;
      for (const [partition, bytes] of batches) {
        const leader = this.metadata.leaders[partition] ?? -1;
        if (leader < 0) {
          stale = true;
          lastProblem = `partition ${partition} has no leader`;
          continue;
        }
        if (!byLeader.has(leader)) byLeader.set(leader, new Map());
        byLeader.get(leader)!.set(partition, bytes);
      }
      const answers = await Promise.allSettled(
        [...byLeader].map(async ([leader, parts]) => {
          const conn = await this.connection(leader, deadline);
          const left = Math.max(1, deadline - Date.now());
          return conn.send(produceRequest(this.opts.topic, Math.min(left, 30_000), parts), left);
        }),
      );
      for (const answer of answers) {
        if (answer.status === 'rejected') {
          stale = true;
          lastProblem = String((answer.reason as Error).message ?? answer.reason);
          continue;
        }
        for (const { partition, errorCode } of answer.value) {
          if (!batches.has(partition)) continue;
          if (errorCode === ERR.NONE || errorCode === ERR.DUPLICATE_SEQUENCE_NUMBER) {
            const count = byPartition.get(partition)!.length;
            this.sequences[partition] = ((this.sequences[partition] ?? 0) + count) % SEQUENCE_LIMIT;
            batches.delete(partition);
          } else if (isRetriable(errorCode)) {
            stale = true;
            lastProblem = `partition ${partition}: ${errorName(errorCode)}`;
          } else {
            throw this.fail(`partition ${partition} refused the batch: ${errorName(errorCode)}`);
          }
        }
      }
      if (batches.size === 0) return;
      await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      if (stale) await this.refreshMetadata(deadline).catch(() => undefined);
    }
  }

  /** Asks a broker for the topic's metadata: proof that Kafka answers now. */
  async refreshMetadata(deadline: number): Promise<void> {
    const conn = await this.anyConnection(deadline);
    const m = await conn.send(metadataRequest(this.opts.topic), Math.max(1, deadline - Date.now()));
    if (m.errorCode !== ERR.NONE) throw new Error(`metadata of '${this.opts.topic}': ${errorName(m.errorCode)}`);
    this.setMetadata(m);
  }

  close(): void {
    this.failure ??= new SessionFailedError('closed');
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private fail(message: string): Error {
    this.failure = new SessionFailedError(message);
    this.close();
    return this.failure;
  }

  private setMetadata(m: TopicMetadata): void {
    // A partition count that changed would move keys; it is kept (with its placements) until
    // the next session, as the stack never adds partitions to a topic in use.
    if (this.partitionMetadata.length === 0) {
      this.partitionMetadata = m.leaders.map((leader, partitionId) => ({
        partitionId,
        leader,
        partitionErrorCode: 0,
        replicas: [],
        isr: [],
      }));
    }
    this.metadata = m;
  }

  private async connection(nodeId: number, deadline: number): Promise<BrokerConnection> {
    const open = this.connections.get(nodeId);
    if (open?.isOpen) return open;
    const broker = this.metadata.brokers.find((b) => b.nodeId === nodeId);
    if (!broker) throw new Error(`broker ${nodeId} is not in the metadata`);
    const conn = await connectTo(broker, this.opts, deadline);
    if (this.failure) {
      conn.close();
      throw this.failure;
    }
    this.connections.set(nodeId, conn);
    return conn;
  }

  private async anyConnection(deadline: number): Promise<BrokerConnection> {
    for (const c of this.connections.values()) if (c.isOpen) return c;
    for (const b of this.metadata.brokers) {
      try {
        return await this.connection(b.nodeId, deadline);
      } catch {
        /* try the next broker */
      }
    }
    const conn = await connectToAny(this.opts, deadline);
    const node = this.metadata.brokers.find((b) => `${b.host}:${b.port}` === conn.address);
    if (node && !this.failure) this.connections.set(node.nodeId, conn);
    return conn;
  }
}

function connectTo(
  b: BrokerAddress | { host: string; port: number },
  opts: SessionOptions,
  deadline: number,
): Promise<BrokerConnection> {
  const timeout = Math.max(1, Math.min(opts.connectTimeoutMs ?? 3000, deadline - Date.now()));
  return BrokerConnection.open(b.host, b.port, opts.clientId, timeout, opts.security);
}

function connectToAny(opts: SessionOptions, deadline: number): Promise<BrokerConnection> {
  return BrokerConnection.openAny(opts.brokers, opts.clientId, opts.connectTimeoutMs ?? 3000, deadline, opts.security);
}

/** Runs `attempt` until it yields a value, backing off between retries, until the deadline. */
async function retrying<T>(
  deadline: number,
  attempt: (remaining: number) => Promise<{ value: T } | { retry: string }>,
): Promise<T> {
  let backoff = 50;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new SessionFailedError('Kafka did not answer in time');
    const r = await attempt(remaining);
    if ('value' in r) return r.value;
    if (Date.now() + backoff >= deadline) throw new SessionFailedError(r.retry);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}
