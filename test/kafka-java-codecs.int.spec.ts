import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrokerConnection, CODEC, FetchedBatch, PartitionFetcher } from '@metering/kafka';
import { fetchRequest } from '../libs/kafka/src/fetch-protocol';
import { createTestTopics, TestTopics } from './support/kafka';
import { kafkaBrokers } from './support/urls';

// topics.kafka is plain kafkajs: importing @metering/kafka above registered the codecs with it.

/** The jars `npm run stack` downloaded (the broker's, with kafka-tools and the codecs' own libraries). */
function kafkaClasspath(): string {
  const version = /<kafka\.version>\s*([^<\s]+)/.exec(
    readFileSync(join(__dirname, '..', 'stack', 'pom.xml'), 'utf8'),
  )![1]!;
  const home = process.env['METERING_HOME'] || join(homedir(), '.cache', 'usage-metering');
  return join(home, `kafka-${version}`, 'libs', '*');
}

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const COUNT = 300;
const payloads = Array.from({ length: 20 }, (_, i) => `payload-${i}-${'x'.repeat(40 + i)}`);

// Batches written by Kafka's own Java producer (ProducerPerformance from the Kafka distribution),
// one partition per codec, read by our fetcher and by kafkajs (with the codecs registered).
describe('batches of every codec, written by the Java producer', () => {
  let topics: TestTopics;

  beforeAll(async () => {
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
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
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
    const batches: FetchedBatch[] = [];
    let read = 0;
    const fetcher = new PartitionFetcher({
      brokers: kafkaBrokers(),
      topic: `${topics.usage}.${codec}`,
      clientId: `test-codec-${codec}`,
      maxBytesPerPartition: 1 << 20,
      maxBytes: 1 << 20,
      minBytes: 1,
      maxWaitTimeInMs: 50,
      deliver: async (b) => {
        batches.push(b);
        read += b.records.length + (b.records.unreadable ?? []).length;
      },
      outOfRange: () => undefined,
      warn: () => undefined,
    });
    fetcher.seek(0, 0n);
    fetcher.start();
    const deadline = Date.now() + 20_000;
    while (read < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await fetcher.stop();
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
      const consumer = topics.kafka.consumer({ groupId: `test-codec-${codec}-${Date.now()}` });
      const values: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: `${topics.usage}.${codec}`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
        },
      });
      const deadline = Date.now() + 30_000;
      while (values.length < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      expect(values).toHaveLength(COUNT);
      expect(values.every((v) => payloads.includes(v))).toBe(true);
    },
    60_000,
  );
});
