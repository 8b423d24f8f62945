import { Kafka, Partitioners } from 'kafkajs';
import { encodeUsageEvent, renamed, topicConfig, topicSpec, USAGE_EVENT_SCHEMA } from '@metering/kafka';
import { benchStream, StreamShape } from './fold-events';

const SEND_BATCH = 4_000;
const IN_FLIGHT = 4;

/** Messages in the topic now (every partition's high watermark minus its start). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number | null> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The benchmark's topic, filled once and kept between runs of `npm run bench` (filling it takes
 * longer than folding it). Settings as usage.events.v1; records as the collector writes them
 * (Avro, keyed by organization, the schema header, no compression). A topic of the wrong size
 * (an interrupted fill) is dropped and filled again.
 */
export async function ensureBenchTopic(
  kafka: Kafka,
  topic: string,
  shape: StreamShape,
  log: (line: string) => void,
): Promise<void> {
  const size = await topicSize(kafka, topic);
  if (size === shape.total) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (size !== null) {
      await admin.deleteTopics({ topics: [topic] });
      await new Promise((r) => setTimeout(r, 2000));
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topicConfig(renamed(topicSpec('usage.events.v1'), topic))],
    });
  } finally {
    await admin.disconnect();
  }
  log(`fold: filling ${topic} with ${shape.total.toLocaleString('en-US')} events (once; kept for later runs)`);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const receivedAt = Date.now();
    const pending: Promise<unknown>[] = [];
    let batch: { key: string; value: Buffer; headers: Record<string, string> }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      pending.push(producer.send({ topic, acks: -1, messages: batch }));
      batch = [];
      if (pending.length >= IN_FLIGHT) await pending.shift();
    };
    for (const { event } of benchStream(shape)) {
      batch.push({
        key: event.org,
        value: encodeUsageEvent(event, receivedAt),
        headers: { schema: USAGE_EVENT_SCHEMA },
      });
      if (batch.length === SEND_BATCH) await flush();
    }
    await flush();
    await Promise.all(pending);
  } finally {
    await producer.disconnect();
  }
  const filled = await topicSize(kafka, topic);
  if (filled !== shape.total) throw new Error(`${topic} holds ${filled} events after filling, expected ${shape.total}`);
}
