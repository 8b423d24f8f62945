import type { INestApplication } from '@nestjs/common';
import type { UsageEvent } from '@metering/catalog';
import { BatchConsumerServer } from '@metering/kafka';
import {
  expectedProjections,
  produce,
  producer,
  seenCount,
  sleep,
  startAggregator,
  storedProjections,
  usageEvents,
} from './aggregator-support';
import { testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { eventually, foldedToEnd } from './support/services';

/**
 * Two aggregators in one consumer group share the partitions, and hand them over as members
 * come and go while events flow: each rebalance seeks the new owner to the positions stored in
 * Postgres, so nothing is skipped and nothing counted twice.
 */
describe('two aggregators rebalancing while events flow (real Kafka and Postgres)', () => {
  let db: TestDatabase;
  let topics: TestTopics;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('given members joining and leaving mid-stream, then the partitions are shared and every event counts once', async () => {
    const config = testConfig(db.url, topics);
    const assigned = (app: INestApplication) => app.get(BatchConsumerServer).assignment.length;
    const p = await producer(topics.kafka);
    const produced: UsageEvent[] = [];
    const send = async (round: number) => {
      const fresh = usageEvents(800, Date.UTC(2026, 10, 20, round), `rb${round}`);
      await produce(p, topics.usage, [...fresh, ...produced.slice(-200)]);
      produced.push(...fresh);
    };
    const a = await startAggregator(config);
    let b: { app: INestApplication } | null = null;
    try {
      for (let round = 0; round < 3; round++) await send(round);
      b = await startAggregator(config);
      for (let round = 3; round < 6; round++) await send(round);
      // Both own some of the 12 partitions once the group has settled.
      await eventually(
        async () =>
          assigned(a.app) > 0 && assigned(b!.app) > 0 && assigned(a.app) + assigned(b!.app) === 12 ? true : undefined,
        30_000,
        'a shared assignment',
      );
      await a.app.close(); // b takes everything over
      for (let round = 6; round < 9; round++) {
        await send(round);
        await sleep(100);
      }
      await eventually(async () => (assigned(b!.app) === 12 ? true : undefined), 30_000, 'b owning every partition');
      await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
      expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));
      expect(await seenCount(db.pool)).toBe(produced.length);
    } finally {
      await p.disconnect();
      await b?.app.close();
      await a.app.close().catch(() => undefined);
    }
  }, 120_000);
});
