import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrokerConnection, CODEC, registerKafkajsCodecs } from '@metering/kafka';
import { fetchRequest } from '../libs/kafka/src/fetch-protocol';
import { stackKafkaLibs } from '../scripts/kafka-libs';
import { createAndWait, createTestTopics, fetchBatches, readTopic, TestTopics } from './support/kafka';
import { kafkaBrokers } from './support/urls';

/** The jars `npm run stack` downloaded (the broker's, with kafka-tools and the codecs' own libraries). */
const kafkaClasspath = (): string => join(stackKafkaLibs(), '*');

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const COUNT = 300;
const payloads = Array.from({ length: 20 }, (_, i) => `payload-${i}-${'x'.repeat(40 + i)}`);

// Batches written by Kafka's own Java producer (ProducerPerformance from the Kafka distribution),
// one partition per codec, read by our fetcher and by kafkajs (with the codecs registered).
describe('batches of every codec, written by the Java producer', () => {
  let topics: TestTopics;

  beforeAll(async () => {
    registerKafkajsCodecs(); // as the replays do
    topics = await createTestTopics();
    const dir = mkdtempSync(join(tmpdir(), 'codecs-'));
    const payloadFile = join(dir, 'payloads.txt');
    writeFileSync(payloadFile, payloads.join('\n'));
    const propsFile = (codec: string) => {
      const f = join(dir, `${codec}.properties`);
      writeFileSync(
        f,
        [
          `bootstrap.servers=${kafkaBrokers().join(',')}`,
          `compression.type=${codec}`,
          'acks=all',
          'linger.ms=50',
          'batch.size=65536',
        ].join('\n'),
      );
      return f;
    };
    for (const codec of CODECS) {
      // A topic of one partition per codec keeps each codec's batches apart.
      const topic = `${topics.usage}.${codec}`;
      const admin = topics.kafka.admin();
      await admin.connect();
      await createAndWait(admin, [{ topic, numPartitions: 1 }]);
      await admin.disconnect();
      await promisify(execFile)(
        'java',
        [
          '-cp',
          kafkaClasspath(),
          'org.apache.kafka.tools.ProducerPerformance',
          '--topic',
          topic,
          '--num-records',
          String(COUNT),
          '--throughput',
          '-1',
          '--payload-file',
          payloadFile,
          '--producer.config',
          propsFile(codec),
        ],
        { timeout: 60_000 },
      );
    }
  }, 180_000);

  afterAll(async () => {
    if (!topics) return;
    const admin = topics.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: CODECS.map((c) => `${topics.usage}.${c}`) }).catch(() => undefined);
    await admin.disconnect();
    await topics.drop();
  });

  it.each(CODECS)('our fetcher reads every %s record, nothing set aside', async (codec) => {
    // The log holds what the Java producer wrote: batches of that codec (attributes, bits 0-2).
    const conn = await BrokerConnection.openAny(kafkaBrokers(), 'test-codec-raw', 3000);
    const [raw] = await conn.send(
      fetchRequest(`${topics.usage}.${codec}`, [{ partition: 0, offset: 0n, maxBytes: 1 << 20 }], {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
      }),
      10_000,
    );
    conn.close();
    expect(raw!.records!.readInt16BE(21) & 0x07).toBe(CODEC[codec]);
    const batches = await fetchBatches(`${topics.usage}.${codec}`, COUNT);
    const values = batches.flatMap((b) =>
      Array.from({ length: b.records.length }, (_, i) => String(b.records.value(i))),
    );
    expect(batches.flatMap((b) => b.records.unreadable ?? [])).toEqual([]);
    expect(values).toHaveLength(COUNT);
    expect(values.every((v) => payloads.includes(v))).toBe(true);
  });

  it.each(CODECS)(
    'kafkajs reads every %s record too (the replays of rebuild and verify)',
    async (codec) => {
      const values = (await readTopic(topics.kafka, `${topics.usage}.${codec}`)).map((r) => String(r.value));
      expect(values).toHaveLength(COUNT);
      expect(values.every((v) => payloads.includes(v))).toBe(true);
    },
    60_000,
  );
});
