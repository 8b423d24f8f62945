import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { ApplyPipeline } from './apply-pipeline';

/** The pattern a controller subscribes to with @EventPattern to receive batches. */
export const KAFKA_BATCH = 'kafka.batch';

/** A record as kafkajs hands it over (not copied: a batch holds tens of thousands). */
export interface BatchMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface KafkaBatch {
  topic: string;
  partition: number;
  firstOffset: bigint;
  /** One past the last message: where this partition resumes once the batch is applied. */
  nextOffset: bigint;
  highWatermark: bigint;
  messages: readonly BatchMessage[];
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
  /** Upper bound of one fetch response over all partitions: kafkajs decodes it whole. */
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
 * ~24k events spread a transaction's fixed costs (a few round trips, one WAL flush) and its
 * per-row upserts thin: larger batches fold more events into each projection row (6 MB took
 * ~10% less CPU than 4 MB). A fetch brings about one such batch: kafkajs turns a whole response
 * into objects at once, 12 MB responses alone took the process past 400 MB, and 8 MB left too
 * little room under 300 MB. Three batches are applied at once, so Postgres has work on both
 * cores while this process fetches and decodes the next ones, which wait as compact columns.
 */
export const DEFAULT_FETCH_SIZING: FetchSizing = {
  maxBytesPerPartition: 6 * 1024 * 1024,
  maxBytes: 6 * 1024 * 1024,
  minBytes: 1,
  maxWaitTimeInMs: 100,
  applyConcurrency: 3,
  applyCapacity: 6,
};

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  /** The stored positions (in Postgres) to resume from; partitions absent start at the log's start. */
  storedOffsets: () => Promise<Map<number, bigint>>;
  /** Called when the assignment changes, with the partitions this instance now owns. */
  onAssignment?: (partitions: number[]) => void;
  sizing?: Partial<FetchSizing>;
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * A Nest transport over kafkajs eachBatch. For each partition batch it calls the
 * @EventPattern(KAFKA_BATCH) handler, which decodes it and returns its apply step (one
 * database transaction); the steps run in a pipeline, so fetching and decoding go on while
 * earlier batches are applied. kafkajs on its own fetches again only once every batch of the
 * last fetch is done, leaving the database idle in between.
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
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: sizing.maxBytesPerPartition,
      maxBytes: sizing.maxBytes,
      minBytes: sizing.minBytes,
      maxWaitTimeInMs: sizing.maxWaitTimeInMs,
      // A member killed outright holds its partitions until its session lapses; the consumer
      // never blocks in eachBatch, so it heartbeats often enough for a short session.
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 2_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      this.assigned = [...partitions].sort((a, b) => a - b);
      this.joined = true;
      // Pauses outlive a rebalance in kafkajs; this assignment starts unpaused, from Postgres.
      this.held = false;
      this.backingOff.clear();
      if (this.assigned.length > 0) consumer.resume([{ topic, partitions: this.assigned }]);
      this.logger.log(`assigned partitions [${this.assigned.join(', ')}] of ${topic}`);
      this.options.onAssignment?.(this.assigned);
      void this.seekToStored(partitions).catch((err: unknown) => this.logger.error(`seek after assignment failed: ${String(err)}`));
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.joined = false;
      // What was decoded for the old assignment is dropped; the new one starts from Postgres.
      this.pipeline?.resetAll();
      this.expectedStart.clear();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts the consumer itself after a retriable error; it rejoins the group.
      this.joined = false;
      if (!e.payload.restart) this.running = false;
      this.logger.error(`consumer crashed (restart: ${String(e.payload.restart)}): ${String(e.payload.error)}`);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.running = true;
    callback();
  }

  /** Stops fetching, lets the batches being applied finish, then leaves the group. */
  async close(): Promise<void> {
    this.closing = true;
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

  private async seekToStored(partitions: number[]): Promise<void> {
    const { topic } = this.options;
    const [stored, watermarks] = await Promise.all([this.options.storedOffsets(), this.admin!.fetchTopicOffsets(topic)]);
    for (const partition of partitions) {
      const low = BigInt(watermarks.find((w) => w.partition === partition)?.low ?? '0');
      const want = stored.get(partition) ?? low;
      // Below the log's start the records are gone (retention); the log start is the best there is.
      this.seek(partition, want < low ? low : want);
    }
  }

  private seek(partition: number, offset: bigint): void {
    this.pipeline?.reset(partition);
    this.expectedStart.set(partition, offset);
    this.consumer!.seek({ topic: this.options.topic, partition, offset: offset.toString() });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.closing || !isRunning() || isStale() || batch.messages.length === 0) return;
    const { partition } = batch;
    const firstOffset = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
    const expected = this.expectedStart.get(partition);
    if (expected === undefined) return; // assigned, not sought yet: the seek brings the right records
    if (firstOffset !== expected) {
      // Fetched before a seek took effect: drop it; the seek brings the right records.
      this.consumer!.seek({ topic: batch.topic, partition, offset: expected.toString() });
      return;
    }
    const handler = this.getHandlerByPattern(KAFKA_BATCH);
    if (!handler) throw new Error(`no @EventPattern('${KAFKA_BATCH}') handler registered`);
    const nextOffset = BigInt(batch.lastOffset()) + 1n;
    const apply = (await lastValueFrom(
      this.transformToObservable(
        await handler({ topic: batch.topic, partition, firstOffset, nextOffset, highWatermark: BigInt(batch.highWatermark), messages: batch.messages }),
      ),
    )) as ApplyStep;
    this.expectedStart.set(partition, nextOffset);
    resolveOffset(batch.lastOffset());
    await heartbeat();
    // Nothing below may refer to `batch`: the step's closure would keep its records alive.
    const topic = this.options.topic;
    this.pipeline!.add({
      partition,
      run: apply,
      settle: (outcome, stale) => {
        if (this.held && this.pipeline!.size <= this.capacity / 2) this.release();
        if (stale || this.closing) return;
        if (!outcome.ok) {
          this.logger.error(`partition ${partition}: applying offsets ${firstOffset}..${nextOffset - 1n} failed, retrying: ${String(outcome.error)}`);
          this.retryLater(partition, firstOffset);
        } else if (!outcome.value.done) {
          this.seek(partition, outcome.value.seekTo);
        } else {
          this.retryDelay.delete(partition);
          this.consumer!.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]).catch(() => undefined);
        }
      },
    });
    // Backpressure without blocking here: a batch held in eachBatch keeps its fetch's records
    // alive long enough to reach the old generation, which is what bloats the heap.
    if (!this.held && this.pipeline!.size >= this.capacity) this.hold();
  }

  private hold(): void {
    this.held = true;
    this.consumer!.pause([{ topic: this.options.topic, partitions: [...this.assigned] }]);
  }

  private release(): void {
    this.held = false;
    const partitions = this.assigned.filter((p) => !this.backingOff.has(p));
    if (partitions.length > 0) this.consumer!.resume([{ topic: this.options.topic, partitions }]);
  }

  /** Reads the partition again from `offset` after a pause that grows while it keeps failing. */
  private retryLater(partition: number, offset: bigint): void {
    const delay = Math.min(this.retryDelay.get(partition) ?? RETRY_FIRST_MS, RETRY_MAX_MS);
    this.retryDelay.set(partition, delay * 2);
    const tp = [{ topic: this.options.topic, partitions: [partition] }];
    this.pipeline!.reset(partition);
    this.expectedStart.set(partition, offset);
    this.backingOff.add(partition);
    this.consumer!.pause(tp);
    setTimeout(() => {
      this.backingOff.delete(partition);
      if (this.closing) return;
      this.seek(partition, offset);
      if (!this.held) this.consumer!.resume(tp);
    }, delay).unref();
  }
}
