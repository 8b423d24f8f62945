import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topicCopies } from '@metering/kafka';
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
    // kafkajs' own wait for leaders gives up on a transient "does not host this
    // topic-partition" from a busy broker right after creation: create, then wait ourselves.
    await admin.createTopics({ waitForLeaders: false, topics });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
        .then((m) =>
          topics.every((want) => {
            const got = m.topics.find((t) => t.name === want.topic);
            return (
              got !== undefined &&
              got.partitions.length === want.numPartitions &&
              got.partitions.every((p) => p.leader >= 0)
            );
          }),
        )
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(`test topics ${Object.values(names).join(', ')} have no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
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
