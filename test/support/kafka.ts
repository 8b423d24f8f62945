import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaSecurity } from '@metering/service';
import { createAndWait, FetchedBatch, PartitionFetcher, topicCopies } from '@metering/kafka';
import { kafkaBrokers } from './urls';

export interface TestTopics {
  usage: string;
  dlq: string;
  invoices: string;
  kafka: Kafka;
  drop(): Promise<void>;
}

/** Private copies of the pipeline's topics (same settings), so test files never see each other's events. */
export async function createTestTopics(brokers: string[] = kafkaBrokers()): Promise<TestTopics> {
  const suffix = randomBytes(4).toString('hex');
  const kafka = new Kafka({ clientId: `test-${suffix}`, brokers, logLevel: logLevel.NOTHING });
  const names = {
    usage: `test.${suffix}.usage.events.v1`,
    dlq: `test.${suffix}.usage.events.dlq.v1`,
    invoices: `test.${suffix}.billing.invoices.v1`,
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = topicCopies(names);
    await createAndWait(admin, topics);
  } finally {
    await admin.disconnect();
  }
  return {
    ...names,
    kafka,
    async drop() {
      const a = kafka.admin();
      await a.connect();
      try {
        await a.deleteTopics({ topics: Object.values(names) });
      } finally {
        await a.disconnect();
      }
    },
  };
}

/** Creates the topics and waits until every partition has a leader (the Kafka tests' way, shared with chaos). */
export { createAndWait };

export interface TopicRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** Every record of a topic up to its end at the time of the call, read with a throwaway consumer group. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const pending = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const records: TopicRecord[] = [];
  if (pending.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `test-reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read only ${records.length} records of ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          const end = pending.get(partition);
          if (end === undefined || offset >= end) return;
          records.push({ partition, offset, key: message.key, value: message.value, headers: message.headers ?? {} });
          if (offset + 1n >= end) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/**
 * The batches our own fetcher reads of `partitions` from offset 0 until `count` records (read or
 * set aside as unreadable batches) have come, or `timeoutMs` passes.
 */
export async function fetchBatches(
  topic: string,
  count: number,
  o: { brokers?: string[]; security?: KafkaSecurity; partitions?: number[]; timeoutMs?: number } = {},
): Promise<FetchedBatch[]> {
  const batches: FetchedBatch[] = [];
  let read = 0;
  const fetcher = new PartitionFetcher({
    brokers: o.brokers ?? kafkaBrokers(),
    topic,
    clientId: 'test-fetch-batches',
    maxBytesPerPartition: 1 << 20,
    maxBytes: 1 << 20,
    minBytes: 1,
    maxWaitTimeInMs: 50,
    security: o.security,
    deliver: async (b) => {
      batches.push(b);
      read += b.records.length + (b.records.unreadable ?? []).length;
    },
    outOfRange: () => undefined,
    warn: () => undefined,
  });
  for (const p of o.partitions ?? [0]) fetcher.seek(p, 0n);
  fetcher.start();
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  while (read < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await fetcher.stop();
  return batches;
}
