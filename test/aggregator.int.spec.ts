import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { skuFor } from '@metering/catalog';
import { UsageRepository } from '@metering/db';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from '@metering/kafka';
import type { MeteringConfig } from '@metering/service';
import {
  expectedProjections,
  produce,
  producer,
  seenCount,
  startAggregator,
  storedProjections,
  usageEvents,
  waitReady,
} from './aggregator-support';
import { testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { eventually, foldedToEnd } from './support/services';
import { asCheckedOrg } from '@metering/domain';

/**
 * The aggregator against the real broker and database: re-sends across batches and partitions
 * count once, poison goes to the dead-letter topic with its reason while the rest is folded,
 * and a restart from Kafka offsets that lag Postgres (a crash between the two commits) counts
 * nothing twice.
 */
describe('aggregator (real Kafka and Postgres)', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let kafkaProducer: Producer;
  let aggregator: { app: INestApplication; url: string } | null = null;
  const base = Date.UTC(2026, 10, 20, 6);
  const events = usageEvents(3000, base);
  const produced: typeof events = [];

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    kafkaProducer = await producer(topics.kafka);
  });

  afterAll(async () => {
    await aggregator?.app.close();
    await kafkaProducer?.disconnect();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('counts every event once: re-sent in later batches, within a batch, and into another partition', async () => {
    await produce(kafkaProducer, topics.usage, events.slice(0, 2000));
    aggregator = await startAggregator(config);
    await waitReady(aggregator.url);
    // Re-sends: whole earlier batches again, some twice in one send, and some to other partitions.
    await produce(kafkaProducer, topics.usage, [
      ...events.slice(2000),
      ...events.slice(0, 500),
      ...events.slice(2500, 2600),
    ]);
    for (const p of [0, 5, 11]) await produce(kafkaProducer, topics.usage, events.slice(p * 100, p * 100 + 150), p);
    produced.push(...events);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
    expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));
    expect(await seenCount(db.pool)).toBe(3000);
    const metrics = await (await fetch(`${aggregator.url}/metrics`)).text();
    expect(metrics).toMatch(/aggregator_events_folded_total\{service="aggregator"\} 3000\b/);
    expect(metrics).toMatch(/aggregator_partition_lag\{partition="\d+",service="aggregator"\} 0\b/);
    expect(metrics).toMatch(/aggregator_batch_commit_seconds_count\{service="aggregator"\} [1-9]/);
    expect(metrics).toContain('aggregator_events_folded_per_second');
  });

  it('answers usage grouped by resource from the per-resource projection, with the same totals as the hourly one', async () => {
    const usage = new UsageRepository(db.pool);
    const q = {
      from: new Date(base),
      to: new Date(base + 86_400_000),
      granularity: 'day' as const,
      tz: 'UTC',
      filters: { region: [], app: [], sku: [] },
    };
    const byResource = await usage.usage(asCheckedOrg('acme'), { ...q, groupBy: ['resource'] });
    const bySku = await usage.usage(asCheckedOrg('acme'), { ...q, groupBy: [] });
    expect(new Set(byResource.map((r) => r.resource)).size).toBeGreaterThan(1);
    const total = (rows: { quantity: string }[]) => rows.reduce((s, r) => s + Number(r.quantity), 0);
    expect(total(byResource)).toBeCloseTo(total(bySku), 6);
    expect(byResource.reduce((s, r) => s + r.events, 0)).toBe(bySku.reduce((s, r) => s + r.events, 0));
  });

  it('sets poison aside in the dead-letter topic with the reason, and folds what comes after it', async () => {
    const good = usageEvents(300, base + 86_400_000, 'after-poison');
    const bad = {
      ...good[0]!,
      id: 'bad-sku',
      sku: skuFor('machine.runtime', { size: 'shared-cpu-1x' }, 'ord').replace('shared-cpu-1x', 'quantum-9x'),
    };
    await kafkaProducer.send({
      topic: topics.usage,
      acks: -1,
      messages: [
        { key: 'acme', value: Buffer.from('definitely not avro'), headers: { schema: USAGE_EVENT_SCHEMA } },
        { key: 'acme', value: encodeUsageEvent(bad, Date.now()), headers: { schema: USAGE_EVENT_SCHEMA } },
        { key: 'acme', value: null },
      ],
    });
    await produce(kafkaProducer, topics.usage, good);
    produced.push(...good);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
    expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));

    const reasons: string[] = [];
    const consumer = topics.kafka.consumer({ groupId: `dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        reasons.push(
          `${String(message.headers?.['dlq.reason'])} @ ${String(message.headers?.['dlq.source']).replace(/^.*\//, '')}`,
        );
      },
    });
    await eventually(async () => (reasons.length >= 3 ? true : undefined), 30_000, 'three dead letters');
    await consumer.disconnect();
    expect(reasons.map((r) => r.replace(/ @ \d+$/, '').replace(/: .*/, ':')).sort()).toEqual(
      ['empty value', 'not a UsageEvent:', "unknown sku 'machine.runtime/quantum-9x'"].sort(),
    );
  });

  it('given Kafka offsets behind Postgres (a crash after the Postgres commit), then a restart counts nothing twice', async () => {
    await aggregator!.app.close();
    aggregator = null;
    // What a crash between the two commits leaves: Kafka's committed offsets far behind.
    const admin = topics.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: config.consumerGroup, topic: topics.usage, earliest: true });
    await admin.disconnect();
    const more = usageEvents(400, base + 2 * 86_400_000, 'after-restart');
    await produce(kafkaProducer, topics.usage, [...more, ...events.slice(0, 100)]);
    produced.push(...more);
    aggregator = await startAggregator(config);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
    expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));
    expect(await seenCount(db.pool)).toBe(3000 + 300 + 400);
    const ready = await fetch(`${aggregator.url}/health/ready`);
    expect(ready.status).toBe(200);
  });
});
