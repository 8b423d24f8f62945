import { registerKafkajsCodecs } from './kafkajs-codecs';
import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { BatchResult } from './batch-consumer.server';
import type { BatchMessage } from './record-set';

/** A piece of one partition's log, cut at the replay's target. */
export interface ReplayBatch {
  partition: number;
  firstOffset: bigint;
  nextOffset: bigint;
  messages: readonly BatchMessage[];
}

export interface ReplayOptions {
  kafka: Kafka;
  topic: string;
  /** A group of its own: the replay is one member and owns every partition. */
  groupId: string;
  /** Applies one batch; partitions are applied in order, one batch at a time each. */
  apply: (batch: ReplayBatch) => Promise<BatchResult>;
}

/**
 * Reads a topic from given positions up to targets that may move forward (a rebuild chases
 * the live aggregators' positions and must not pass them), handing each partition's records
 * in order to `apply`; a partition at its target is paused until the target moves.
 */
export class TopicReplayer {
  private readonly log = new Logger('replay');
  private readonly consumer: Consumer;
  private readonly position = new Map<number, bigint>();
  private target = new Map<number, bigint>();
  private waiter: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private failure: unknown = null;

  constructor(private readonly options: ReplayOptions) {
    registerKafkajsCodecs(); // a replay reads the whole log, whatever codec its producers chose
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 << 20,
      maxBytes: 4 << 20,
      maxWaitTimeInMs: 100,
    });
  }

  /** Starts reading at `from` (absent partitions: at 0). */
  async start(partitions: number[], from: Map<number, bigint>): Promise<void> {
    for (const p of partitions) this.position.set(p, from.get(p) ?? 0n);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      for (const [partition, at] of this.position)
        this.consumer.seek({ topic: this.options.topic, partition, offset: at.toString() });
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (p) => this.onBatch(p),
    });
  }

  /** Resolves once every partition has been applied up to exactly its target. */
  async runTo(targets: Map<number, bigint>): Promise<void> {
    this.target = targets;
    if (this.failure) throw this.failure;
    const done = new Promise<void>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.consumer.resume([{ topic: this.options.topic }]);
    this.check();
    return done;
  }

  get positions(): ReadonlyMap<number, bigint> {
    return this.position;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private check(): void {
    if (!this.waiter) return;
    for (const [p, at] of this.position) if (at < (this.target.get(p) ?? 0n)) return;
    const { resolve } = this.waiter;
    this.waiter = null;
    resolve();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    const at = this.position.get(partition) ?? 0n;
    const target = this.target.get(partition) ?? 0n;
    if (isStale() || batch.messages.length === 0) return;
    if (at >= target) {
      this.pause(partition, at);
      return;
    }
    const firstOffset = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
    if (firstOffset !== at) {
      this.consumer.seek({ topic: batch.topic, partition, offset: at.toString() });
      return;
    }
    const last = BigInt(batch.lastOffset()) + 1n;
    const nextOffset = last < target ? last : target;
    const messages = last <= target ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) < target);
    try {
      const result = await this.options.apply({ partition, firstOffset, nextOffset, messages });
      if (!result.done)
        throw new Error(`partition ${partition}: replay found a gap at ${firstOffset}, expected ${result.seekTo}`);
    } catch (e) {
      this.log.error(`replay of partition ${partition} failed: ${String(e)}`);
      this.failure = e;
      this.waiter?.reject(e);
      this.waiter = null;
      this.consumer.pause([{ topic: batch.topic }]);
      return;
    }
    this.position.set(partition, nextOffset);
    resolveOffset(batch.lastOffset());
    if (nextOffset === target) this.pause(partition, target);
    await heartbeat();
    this.check();
  }

  /** Stops fetching the partition and makes it start at `at` when resumed. */
  private pause(partition: number, at: bigint): void {
    this.consumer.pause([{ topic: this.options.topic, partitions: [partition] }]);
    this.consumer.seek({ topic: this.options.topic, partition, offset: at.toString() });
  }
}
