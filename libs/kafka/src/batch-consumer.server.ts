import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';

/** The pattern a controller subscribes to with @EventPattern to receive batches. */
export const KAFKA_BATCH = 'kafka.batch';

export interface BatchMessage {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface KafkaBatch {
  topic: string;
  partition: number;
  firstOffset: bigint;
  /** One past the last message: where this partition resumes once the batch is applied. */
  nextOffset: bigint;
  highWatermark: bigint;
  messages: BatchMessage[];
}

/** What the handler did with a batch. */
export type BatchResult = { done: true } | { done: false; seekTo: bigint };

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  /** The stored positions (in Postgres) to resume from; partitions absent start at the log's start. */
  storedOffsets: () => Promise<Map<number, bigint>>;
  /** Called when the assignment changes, with the partitions this instance now owns. */
  onAssignment?: (partitions: number[]) => void;
  maxBytesPerPartition?: number;
}

/**
 * A Nest transport over kafkajs eachBatch: hands whole partition batches to the
 * @EventPattern(KAFKA_BATCH) handler, which applies each in one database transaction.
 *
 * Positions live in Postgres, not in Kafka. On every assignment the consumer seeks each
 * partition to its stored offset, and a batch that does not start where the partition was
 * sought is not handed on until the seek took effect; offsets are committed to Kafka only
 * after the handler's transaction, as a hint for tools.
 */
export class BatchConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('batch-consumer');
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  /** Where each newly assigned partition must start; cleared once a batch starts there. */
  private readonly expectedStart = new Map<number, bigint>();
  private assigned: number[] = [];
  private running = false;

  constructor(private readonly options: BatchConsumerOptions) {
    super();
  }

  get isRunning(): boolean {
    return this.running;
  }

  get assignment(): readonly number[] {
    return this.assigned;
  }

  async listen(callback: (...args: unknown[]) => void): Promise<void> {
    const { kafka, groupId, topic } = this.options;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      this.assigned = [...partitions].sort((a, b) => a - b);
      this.options.onAssignment?.(this.assigned);
      void this.seekToStored(partitions).catch((err: unknown) => this.logger.error(`seek after assignment failed: ${String(err)}`));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.running = false;
      this.logger.error(`consumer crashed (restart: ${String(e.payload.restart)}): ${String(e.payload.error)}`);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.running = true;
    callback();
  }

  async close(): Promise<void> {
    this.running = false;
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
      const start = want < low ? low : want;
      this.expectedStart.set(partition, start);
      this.consumer!.seek({ topic, partition, offset: start.toString() });
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const firstOffset = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
    const expected = this.expectedStart.get(batch.partition);
    if (expected !== undefined) {
      if (firstOffset !== expected) {
        // Fetched before our seek took effect: drop it; the seek brings the right records.
        this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: expected.toString() });
        return;
      }
      this.expectedStart.delete(batch.partition);
    }
    const handler = this.getHandlerByPattern(KAFKA_BATCH);
    if (!handler) throw new Error(`no @EventPattern('${KAFKA_BATCH}') handler registered`);
    const lastOffset = BigInt(batch.lastOffset());
    const payload: KafkaBatch = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset,
      nextOffset: lastOffset + 1n,
      highWatermark: BigInt(batch.highWatermark),
      messages: batch.messages.map((m) => ({ offset: BigInt(m.offset), key: m.key, value: m.value, headers: m.headers ?? {} })),
    };
    const result = (await lastValueFrom(this.transformToObservable(await handler(payload)))) as BatchResult;
    if (!result.done) {
      this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: result.seekTo.toString() });
      return;
    }
    resolveOffset(batch.lastOffset());
    await heartbeat();
    await commitOffsetsIfNecessary();
  }
}
