import { asValidatedOrg } from '@metering/domain';
import { Partitioners } from 'kafkajs';
import type { UsageEvent } from '@metering/catalog';
import { createTestTopics, readTopic, TestTopics } from '../../../test/support/kafka';
import { kafkaBrokers } from '../../../test/support/urls';
import { decodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';
import { KafkaUnavailableError, UsageProducer } from './usage-producer';

const T = Date.UTC(2026, 10, 21, 10, 0);
const event = (slug: string, id: string, quantity = '60'): UsageEvent => ({
  id,
  source: 'host/ord-1',
  type: 'machine.runtime',
  time: T,
  org: asValidatedOrg(slug),
  app: 'web',
  resource: 'm_1',
  region: 'ord',
  quantity,
  sku: 'machine.runtime/shared-cpu-1x',
  size: 'shared-cpu-1x',
  gpu: null,
  memoryMb: null,
});

// Where kafkajs (and the Java client) would put a key: the aggregator and every tool expect it there.
const kafkajsPartition = (() => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  return (key: string) => partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
})();

describe('UsageProducer against the real broker', () => {
  let topics: TestTopics;
  let producer: UsageProducer;
  const sends: { messages: number; ok: boolean }[] = [];

  beforeAll(async () => {
    topics = await createTestTopics();
    producer = new UsageProducer({
      brokers: kafkaBrokers(),
      topic: topics.usage,
      onSend: (messages, _s, ok) => sends.push({ messages, ok }),
    });
  });

  afterAll(async () => {
    await producer?.stop();
    await topics?.drop();
  });

  it('writes every event once, keyed and placed by organization, with its schema header, readable by kafkajs', async () => {
    const orgs = Array.from({ length: 30 }, (_, i) => `org-${i}`);
    const events = Array.from({ length: 3000 }, (_, i) => event(orgs[i % orgs.length]!, `a-${i}`, String(i)));
    await producer.send(events, T + 5000);
    const records = await readTopic(topics.kafka, topics.usage);
    expect(records).toHaveLength(3000);
    for (const r of records) {
      const { event: e, receivedAt } = decodeUsageEvent(r.value!);
      expect(receivedAt).toBe(T + 5000);
      expect(r.key!.toString()).toBe(e.org);
      expect(r.partition).toBe(kafkajsPartition(e.org));
      expect(String(r.headers['schema'])).toBe(USAGE_EVENT_SCHEMA);
    }
    expect(
      records.map((r) => decodeUsageEvent(r.value!).event).sort((a, b) => Number(a.quantity) - Number(b.quantity)),
    ).toEqual(events);
    // Within a partition, the order they were sent in.
    const seen = new Map<number, number>();
    for (const r of [...records].sort((a, b) => Number(a.offset - b.offset))) {
      const q = Number(decodeUsageEvent(r.value!).event.quantity);
      expect(q).toBeGreaterThan(seen.get(r.partition) ?? -1);
      seen.set(r.partition, q);
    }
  });

  it('shares one send among requests that arrive together, and keeps the sequence going between sends', async () => {
    sends.length = 0;
    // 1,600 events of one organization fit in one partition's batch (under 512 KiB).
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 200 }, (_, i) => event('acme', `b${b}-${i}`)),
    );
    await Promise.all(batches.map((batch) => producer.send(batch, T)));
    expect(sends).toEqual([{ messages: 1600, ok: true }]);
    // The next send on the same partition must not be mistaken by the broker for a duplicate of the last.
    await producer.send([event('acme', 'after')], T);
    const ids = (await readTopic(topics.kafka, topics.usage)).map((r) => decodeUsageEvent(r.value!).event.id);
    expect(ids.filter((id) => id.startsWith('b') || id === 'after')).toHaveLength(1601);
  });

  it("splits one organization's 10,000 events (2 MB, over the broker's 1 MiB per batch) across sends, in order", async () => {
    sends.length = 0;
    const big = Array.from({ length: 10_000 }, (_, i) => event('solo', `s-${i}`, String(i)));
    await producer.send(big, T);
    expect(sends.length).toBeGreaterThan(1);
    expect(sends.every((s) => s.ok)).toBe(true);
    const solo = (await readTopic(topics.kafka, topics.usage))
      .filter((r) => r.key!.toString() === 'solo')
      .sort((a, b) => Number(a.offset - b.offset))
      .map((r) => decodeUsageEvent(r.value!).event.quantity);
    expect(solo).toEqual(big.map((e) => e.quantity));
  });

  it('refuses quickly, as unavailable, when the topic does not exist', async () => {
    const lost = new UsageProducer({ brokers: kafkaBrokers(), topic: 'test.no-such-topic.v1' });
    const started = Date.now();
    try {
      await expect(lost.send([event('acme', 'x')], T)).rejects.toThrow(KafkaUnavailableError);
      expect(Date.now() - started).toBeLessThan(6000);
      await expect(lost.checkReady()).rejects.toThrow(/does not exist/);
    } finally {
      await lost.stop();
    }
  });
});
