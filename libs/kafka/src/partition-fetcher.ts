import type { KafkaSecurity } from '@metering/service';
import { BrokerConnection } from './broker-connection';
import { FetchedPartition, fetchRequest } from './fetch-protocol';
import { ERR, errorName, isRetriable, metadataRequest, TopicMetadata } from './kafka-protocol';
import { parseRecordBatches, RecordSet } from './record-set';

/** One partition's records from one fetch, starting exactly where the partition was. */
export interface FetchedBatch {
  partition: number;
  /** The offset the fetch started from: where the previous batch ended, or the seek. */
  firstOffset: bigint;
  /** Where the next batch starts (past control records and skipped ones too). */
  nextOffset: bigint;
  highWatermark: bigint;
  records: RecordSet;
}

export interface PartitionFetcherOptions {
  brokers: readonly string[];
  topic: string;
  clientId: string;
  maxBytesPerPartition: number;
  maxBytes: number;
  minBytes: number;
  maxWaitTimeInMs: number;
  /** Called with each batch, in the partition's order; the next fetch waits for it. */
  deliver(batch: FetchedBatch): Promise<void>;
  /** The partition's position is outside its log (the broker does not say where the log is); it is not read until sought. */
  outOfRange(partition: number, offset: bigint): void;
  warn(message: string): void;
  /** TLS and SASL; the environment's (KAFKA_SSL, KAFKA_SASL_*) when not given. */
  security?: KafkaSecurity;
}

const OFFSET_OUT_OF_RANGE = 1;
const REPLICA_NOT_AVAILABLE = 9;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Fetches a consumer's assigned partitions straight from their leaders and hands on their
 * record batches read in place (see parseRecordBatches), where kafkajs would make an object of
 * every record first. The group membership stays with kafkajs; this only reads the log, from
 * positions the owner sets with seek. A seek while a fetch is out makes its answer for that
 * partition stale, and it is dropped. Connection failures and leader moves are retried with a
 * growing pause, with fresh metadata.
 */
export class PartitionFetcher {
  /** Next offset to fetch, per partition being read. */
  private readonly positions = new Map<number, bigint>();
  /** Bumped by every seek: an answer to a fetch sent before it is stale. */
  private readonly generations = new Map<number, number>();
  /** Paused by the owner (see pause/resume). */
  private readonly paused = new Set<number>();
  /** Past the end (or before the start) of their log: not read until sought. */
  private readonly outOfRange = new Set<number>();
  private readonly connections = new Map<number, BrokerConnection>();
  private metadata: TopicMetadata | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private backoff = 0;
  private rotation = 0;

  constructor(private readonly o: PartitionFetcherOptions) {}

  /** Reads `partition` from `offset` on (it is then part of the assignment until `retain` leaves it out); a pause stays. */
  seek(partition: number, offset: bigint): void {
    this.positions.set(partition, offset);
    this.generations.set(partition, (this.generations.get(partition) ?? 0) + 1);
    this.outOfRange.delete(partition);
    this.notify();
  }

  /** Stops reading every partition not in `partitions` (after a rebalance). */
  retain(partitions: readonly number[]): void {
    const keep = new Set(partitions);
    for (const p of [...this.positions.keys()]) {
      if (!keep.has(p)) {
        this.positions.delete(p);
        this.generations.set(p, (this.generations.get(p) ?? 0) + 1);
      }
    }
  }

  pause(partitions: readonly number[]): void {
    for (const p of partitions) this.paused.add(p);
  }

  resume(partitions: readonly number[]): void {
    for (const p of partitions) this.paused.delete(p);
    this.notify();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const active = [...this.positions.keys()].filter((p) => !this.paused.has(p) && !this.outOfRange.has(p));
      if (active.length === 0) {
        await this.idle(this.o.maxWaitTimeInMs);
        continue;
      }
      try {
        await this.fetchOnce(active);
        this.backoff = 0;
      } catch (e) {
        this.backoff = Math.min(Math.max(this.backoff * 2, BACKOFF_FIRST_MS), BACKOFF_MAX_MS);
        this.o.warn(
          `fetching ${this.o.topic} failed, again in ${this.backoff} ms: ${e instanceof Error ? e.message : String(e)}`,
        );
        this.metadata = null;
        await this.idle(this.backoff);
      }
    }
  }

  private async fetchOnce(active: number[]): Promise<void> {
    const metadata = this.metadata ?? (this.metadata = await this.fetchMetadata());
    // The broker fills a response partition by partition: start with another one each time.
    this.rotation = (this.rotation + 1) % active.length;
    const order = [...active.slice(this.rotation), ...active.slice(0, this.rotation)];
    const byLeader = new Map<number, number[]>();
    for (const p of order) {
      const leader = metadata.leaders[p] ?? -1;
      if (leader < 0) throw new Error(`partition ${p} has no leader`);
      const group = byLeader.get(leader);
      if (group) group.push(p);
      else byLeader.set(leader, [p]);
    }
    await Promise.all([...byLeader].map(([leader, partitions]) => this.fetchFrom(leader, partitions)));
  }

  private async fetchFrom(leader: number, partitions: number[]): Promise<void> {
    const conn = await this.connection(leader);
    const sent = partitions.map((partition) => ({
      partition,
      offset: this.positions.get(partition)!,
      generation: this.generations.get(partition)!,
      maxBytes: this.o.maxBytesPerPartition,
    }));
    const options = { maxWaitMs: this.o.maxWaitTimeInMs, minBytes: this.o.minBytes, maxBytes: this.o.maxBytes };
    const answers = await conn.send(
      fetchRequest(this.o.topic, sent, options),
      this.o.maxWaitTimeInMs + REQUEST_TIMEOUT_MS,
    );
    const problems: string[] = [];
    for (const answer of answers) {
      const request = sent.find((s) => s.partition === answer.partition);
      if (
        !request ||
        this.generations.get(answer.partition) !== request.generation ||
        !this.positions.has(answer.partition)
      )
        continue;
      if (answer.errorCode === ERR.NONE) {
        await this.deliver(request.offset, answer);
      } else if (answer.errorCode === OFFSET_OUT_OF_RANGE) {
        this.outOfRange.add(answer.partition);
        this.o.outOfRange(answer.partition, request.offset);
      } else {
        problems.push(`partition ${answer.partition}: ${errorName(answer.errorCode)}`);
        if (!isRetriable(answer.errorCode) && answer.errorCode !== REPLICA_NOT_AVAILABLE)
          this.o.warn(`partition ${answer.partition}: ${errorName(answer.errorCode)}`);
      }
    }
    if (problems.length > 0) throw new Error(problems.join(', '));
  }

  private async deliver(from: bigint, answer: FetchedPartition): Promise<void> {
    const { partition } = answer;
    const bytes = answer.records ?? Buffer.alloc(0);
    const { records, nextOffset } = parseRecordBatches(bytes, Number(from), answer.aborted);
    if (nextOffset === Number(from)) return; // nothing whole yet
    this.positions.set(partition, BigInt(nextOffset));
    await this.o.deliver({
      partition,
      firstOffset: from,
      nextOffset: BigInt(nextOffset),
      highWatermark: answer.highWatermark,
      records,
    });
  }

  private async fetchMetadata(): Promise<TopicMetadata> {
    const conn = await this.anyConnection();
    let m: TopicMetadata;
    try {
      m = await conn.send(metadataRequest(this.o.topic), REQUEST_TIMEOUT_MS);
    } finally {
      // A bootstrap connection is not kept: the connections kept are by broker id.
      if (![...this.connections.values()].includes(conn)) conn.close();
    }
    if (m.errorCode !== ERR.NONE) throw new Error(`metadata of '${this.o.topic}': ${errorName(m.errorCode)}`);
    return m;
  }

  private async connection(nodeId: number): Promise<BrokerConnection> {
    const open = this.connections.get(nodeId);
    if (open?.isOpen) return open;
    const broker = this.metadata?.brokers.find((b) => b.nodeId === nodeId);
    if (!broker) throw new Error(`broker ${nodeId} is not in the metadata`);
    const conn = await BrokerConnection.open(
      broker.host,
      broker.port,
      this.o.clientId,
      CONNECT_TIMEOUT_MS,
      this.o.security,
    );
    this.connections.set(nodeId, conn);
    return conn;
  }

  private async anyConnection(): Promise<BrokerConnection> {
    for (const c of this.connections.values()) if (c.isOpen) return c;
    return BrokerConnection.openAny(this.o.brokers, this.o.clientId, CONNECT_TIMEOUT_MS, Infinity, this.o.security);
  }
}
