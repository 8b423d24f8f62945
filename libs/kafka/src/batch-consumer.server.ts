import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { ApplyPipeline } from './apply-pipeline';
import type { FetchedBatch } from './partition-fetcher';
import { OpenRecordSource, RecordSource, wireRecordSource } from './record-io';
import type { RecordSet } from './record-set';

/** The pattern a controller subscribes to with @EventPattern to receive batches. */
export const KAFKA_BATCH = 'kafka.batch';

export interface KafkaBatch {
  topic: string;
  partition: number;
  firstOffset: bigint;
  /** One past the last message: where this partition resumes once the batch is applied. */
  nextOffset: bigint;
  highWatermark: bigint;
  /** Read in place from the fetch response; the handler must not keep them. */
  records: RecordSet;
}

/** What applying a batch came to: done, or the partition must be read again from `seekTo`. */
export type BatchResult = { done: true } | { done: false; seekTo: bigint };

/**
 * What the @EventPattern(KAFKA_BATCH) handler returns: it decodes the batch when called (so
 * the records can be let go at once) and hands back the step that applies it, which the
 * consumer runs later, in the partition's order, while it fetches and decodes further batches.
 * The step must not hold on to the batch's messages.
 */
export type ApplyStep = () => Promise<BatchResult>;

/** How much a fetch brings and how many batches are worked on at once. */
export interface FetchSizing {
  /** Upper bound of one partition's batch, in bytes (a batch is applied in one transaction). */
  maxBytesPerPartition: number;
  /** Upper bound of one fetch response over all partitions. */
  maxBytes: number;
  /** The broker waits for this much data (or maxWaitTimeInMs) before answering a fetch. */
  minBytes: number;
  maxWaitTimeInMs: number;
  /** Batches applied at once (each in its own transaction, of different partitions). */
  applyConcurrency: number;
  /** Decoded batches waiting or being applied at which fetching pauses (until half are done). */
  applyCapacity: number;
}

/**
 * Sized on the fold benchmark (2 cores shared with Kafka and Postgres). Batches of up to
 * ~45k events spread a transaction's fixed costs (a few round trips, one WAL flush) and its
 * per-row upserts thin: larger batches fold more events into each projection row (10 MB folded
 * 6-11% faster than 6 MB, with Postgres doing 5-9% less per event). A response is read in
 * place and let go once decoded, so the process holds about one response plus the decoded
 * batches, which wait as compact columns (peak RSS ~245 MB at 10 MB, against 300 MB allowed).
 * Three batches are applied at once, so Postgres has work on both cores while this process
 * fetches and decodes the next ones.
 */
export const DEFAULT_FETCH_SIZING: FetchSizing = {
  maxBytesPerPartition: 10 * 1024 * 1024,
  maxBytes: 10 * 1024 * 1024,
  minBytes: 1,
  maxWaitTimeInMs: 100,
  applyConcurrency: 3,
  applyCapacity: 6,
};

export interface BatchConsumerOptions {
  kafka: Kafka;
  /** Where the fetcher finds the cluster (kafkajs keeps the group membership). */
  brokers: readonly string[];
  groupId: string;
  topic: string;
  /** The stored positions (in Postgres) to resume from; partitions absent start at the log's start. */
  storedOffsets: () => Promise<Map<number, bigint>>;
  /** Called when the assignment changes, with the partitions this instance now owns. */
  onAssignment?: (partitions: number[]) => void;
  sizing?: Partial<FetchSizing>;
  /** The client that reads the records (our wire client by default). */
  source?: OpenRecordSource;
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
const RESEEK_MS = 1_000;

/**
 * A Nest transport: kafkajs keeps this instance's membership of the consumer group (join,
 * heartbeats, assignment), with the topic paused so that it never fetches; a PartitionFetcher
 * reads the assigned partitions and hands each partition batch to the @EventPattern(KAFKA_BATCH)
 * handler, which decodes it and returns its apply step (one database transaction). The steps
 * run in a pipeline, so fetching and decoding go on while earlier batches are applied.
 *
 * Positions live in Postgres, not in Kafka. On every assignment the consumer seeks each
 * partition to its stored offset, and hands on only a batch that starts where the partition
 * was sought or where the last one handed on ended. A step that finds a gap seeks back; one
 * that fails is retried from its batch's start after a pause. Offsets are committed to Kafka
 * after the step's transaction, as a hint for tools.
 */
export class BatchConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('batch-consumer');
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private fetcher: RecordSource | null = null;
  private pipeline: ApplyPipeline<BatchResult> | null = null;
  /** Where the next batch handed on must start, per partition (set by seeks and handoffs). */
  private readonly expectedStart = new Map<number, bigint>();
  private readonly retryDelay = new Map<number, number>();
  /** Partitions paused while a failed batch waits to be retried. */
  private readonly backingOff = new Set<number>();
  /** Fetching paused because the pipeline is full. */
  private held = false;
  private capacity = DEFAULT_FETCH_SIZING.applyCapacity;
  private assigned: number[] = [];
  private running = false;
  private joined = false;
  private closing = false;
  /** Bumped when an assignment ends: a seek still retrying for it gives up. */
  private assignments = 0;

  constructor(private readonly options: BatchConsumerOptions) {
    super();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Running, and a member of the group with its assignment (not in the middle of a rebalance). */
  get isAssigned(): boolean {
    return this.running && this.joined;
  }

  get assignment(): readonly number[] {
    return this.assigned;
  }

  async listen(callback: (...args: unknown[]) => void): Promise<void> {
    const { kafka, groupId, topic } = this.options;
    const sizing = { ...DEFAULT_FETCH_SIZING, ...this.options.sizing };
    this.pipeline = new ApplyPipeline<BatchResult>(sizing.applyConcurrency);
    this.capacity = sizing.applyCapacity;
    const fetcher = (this.options.source ?? wireRecordSource)({
      ...sizing,
      brokers: this.options.brokers,
      topic,
      clientId: `${groupId}-fetcher`,
      deliver: (batch) => this.onFetched(batch),
      outOfRange: (partition, offset) => this.onOutOfRange(partition, offset),
      warn: (message) => this.logger.warn(message),
    });
    this.fetcher = fetcher;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: sizing.maxWaitTimeInMs,
      // A member killed outright holds its partitions until its session lapses; with nothing to
      // fetch, kafkajs heartbeats after every idle wait, often enough for a short session.
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 2_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // kafkajs only keeps the membership: the topic stays paused (pauses outlive rebalances).
      consumer.pause([{ topic }]);
      const partitions = e.payload.memberAssignment[topic] ?? [];
      this.assigned = [...partitions].sort((a, b) => a - b);
      this.joined = true;
      this.held = false;
      this.backingOff.clear();
      fetcher.retain(this.assigned);
      fetcher.resume(this.assigned);
      this.logger.log(`assigned partitions [${this.assigned.join(', ')}] of ${topic}`);
      this.options.onAssignment?.(this.assigned);
      void this.seekToStored(partitions);
    });
    consumer.on(consumer.events.REBALANCING, () => this.leaveAssignment());
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts the consumer itself after a retriable error; it rejoins the group.
      this.leaveAssignment();
      if (!e.payload.restart) this.running = false;
      this.logger.error(`consumer crashed (restart: ${String(e.payload.restart)}): ${String(e.payload.error)}`);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Never called while the topic is paused; a fetch kafkajs made before its first pause is ignored.
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    fetcher.start();
    this.running = true;
    callback();
  }

  /** Stops fetching, lets the batches being applied finish, then leaves the group. */
  async close(): Promise<void> {
    this.closing = true;
    await this.fetcher?.stop();
    await this.pipeline?.idle();
    this.running = false;
    this.joined = false;
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
  }

  on(): never {
    throw new Error('BatchConsumerServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /** A rebalance began (or the consumer crashed): what was decoded for the old assignment is dropped. */
  private leaveAssignment(): void {
    this.joined = false;
    this.assignments++;
    this.fetcher?.retain([]);
    this.pipeline?.resetAll();
    this.expectedStart.clear();
  }

  /**
   * Seeks the partitions to their stored offsets. Until that succeeds nothing of them is handed
   * on, so it is tried again every second while they stay assigned: a broker that has just
   * started answers "not the leader" for a moment, and Postgres may be restarting too.
   */
  private async seekToStored(partitions: number[]): Promise<void> {
    const assignment = this.assignments;
    for (;;) {
      try {
        return await this.seekToStoredOnce(partitions);
      } catch (err) {
        if (this.closing || this.assignments !== assignment) return;
        this.logger.warn(
          `seeking partitions [${partitions.join(', ')}] to their stored offsets failed, again in ${RESEEK_MS} ms: ${String(err)}`,
        );
        await new Promise((r) => setTimeout(r, RESEEK_MS).unref());
      }
    }
  }

  private async seekToStoredOnce(partitions: number[]): Promise<void> {
    const { topic } = this.options;
    const [stored, watermarks] = await Promise.all([
      this.options.storedOffsets(),
      this.admin!.fetchTopicOffsets(topic),
    ]);
    for (const partition of partitions) {
      if (!this.assigned.includes(partition)) continue; // revoked meanwhile
      const low = BigInt(watermarks.find((w) => w.partition === partition)?.low ?? '0');
      const want = stored.get(partition) ?? low;
      // Below the log's start the records are gone (retention); the log start is the best there is.
      this.seek(partition, want < low ? low : want);
    }
  }

  private seek(partition: number, offset: bigint): void {
    this.pipeline?.reset(partition);
    this.expectedStart.set(partition, offset);
    this.fetcher!.seek(partition, offset);
  }

  private onOutOfRange(partition: number, offset: bigint): void {
    this.logger.warn(
      `partition ${partition}: offset ${offset} is outside the log; seeking to the stored offset again (or the log's start, if that is later)`,
    );
    setTimeout(() => {
      if (this.closing || !this.assigned.includes(partition)) return;
      void this.seekToStored([partition]);
    }, RESEEK_MS).unref();
  }

  private async onFetched(batch: FetchedBatch): Promise<void> {
    if (this.closing || !this.joined) return;
    const { partition, firstOffset, nextOffset } = batch;
    const expected = this.expectedStart.get(partition);
    if (expected === undefined) return; // assigned, not sought yet: the seek brings the right records
    if (firstOffset !== expected) {
      // Fetched before a seek took effect: drop it and read from where the partition is.
      this.fetcher!.seek(partition, expected);
      return;
    }
    const handler = this.getHandlerByPattern(KAFKA_BATCH);
    if (!handler) throw new Error(`no @EventPattern('${KAFKA_BATCH}') handler registered`);
    const apply = (await lastValueFrom(
      this.transformToObservable(await handler({ topic: this.options.topic, ...batch })),
    )) as ApplyStep;
    this.expectedStart.set(partition, nextOffset);
    // Nothing below may refer to `batch`: the step's closure would keep its records alive.
    const topic = this.options.topic;
    this.pipeline!.add({
      partition,
      run: apply,
      settle: (outcome, stale) => {
        if (this.held && this.pipeline!.size <= this.capacity / 2) this.release();
        if (stale || this.closing) return;
        if (!outcome.ok) {
          this.logger.error(
            `partition ${partition}: applying offsets ${firstOffset}..${nextOffset - 1n} failed, retrying: ${String(outcome.error)}`,
          );
          this.retryLater(partition, firstOffset);
        } else if (!outcome.value.done) {
          this.seek(partition, outcome.value.seekTo);
        } else {
          this.retryDelay.delete(partition);
          this.consumer!.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]).catch(() => undefined);
        }
      },
    });
    if (!this.held && this.pipeline!.size >= this.capacity) this.hold();
  }

  private hold(): void {
    this.held = true;
    this.fetcher!.pause(this.assigned);
  }

  private release(): void {
    this.held = false;
    this.fetcher!.resume(this.assigned.filter((p) => !this.backingOff.has(p)));
  }

  /** Reads the partition again from `offset` after a pause that grows while it keeps failing. */
  private retryLater(partition: number, offset: bigint): void {
    const delay = Math.min(this.retryDelay.get(partition) ?? RETRY_FIRST_MS, RETRY_MAX_MS);
    this.retryDelay.set(partition, delay * 2);
    this.pipeline!.reset(partition);
    this.expectedStart.set(partition, offset);
    this.backingOff.add(partition);
    this.fetcher!.pause([partition]);
    setTimeout(() => {
      this.backingOff.delete(partition);
      if (this.closing) return;
      this.seek(partition, offset);
      if (!this.held) this.fetcher!.resume([partition]);
    }, delay).unref();
  }
}
