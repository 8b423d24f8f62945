import type { UsageEvent } from '@metering/catalog';
import { rebuild } from '../apps/aggregator/src/rebuild';
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
import { foldedToEnd } from './support/services';

/**
 * `aggregator rebuild` while the live aggregator runs and events keep coming: the rebuilt
 * projections equal the live ones row for row at the positions where they are swapped in, and
 * afterwards the live aggregator goes on from there without counting anything twice.
 */
describe('rebuilding the projections from offset 0 while the live aggregator runs', () => {
  let db: TestDatabase;
  let topics: TestTopics;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('given a replay racing the live consumer, then the swap finds no difference and the live consumer goes on exactly once', async () => {
    const config = testConfig(db.url, topics);
    const p = await producer(topics.kafka);
    const produced: UsageEvent[] = [];
    const send = async (round: number) => {
      const fresh = usageEvents(1500, Date.UTC(2026, 10, 19, round), `rebuild${round}`);
      await produce(p, topics.usage, [...fresh, ...produced.slice(-300)]);
      produced.push(...fresh);
    };
    const live = await startAggregator(config);
    try {
      for (let round = 0; round < 6; round++) await send(round);
      const oid = async () =>
        (await db.pool.query<{ oid: number }>(`SELECT 'usage_hourly'::regclass::oid AS oid`)).rows[0]!.oid;
      const before = await oid();
      // The swapped-in tables get the live tables' grants, not the defaults: the live aggregator
      // folds as metering_app throughout, and a grant taken away stays away.
      await db.pool.query('REVOKE DELETE ON usage_monthly FROM metering_app');
      const grants = async () =>
        (
          await db.pool.query<{ relname: string; acl: string }>(
            `SELECT relname, relacl::text AS acl FROM pg_class WHERE relname IN ('usage_hourly', 'usage_resource_hourly', 'usage_monthly', 'usage_daily', 'usage_resource_day') ORDER BY 1`,
          )
        ).rows;
      const grantsBefore = await grants();
      expect(grantsBefore.find((g) => g.relname === 'usage_monthly')!.acl).toContain('metering_app=arw/');
      let flowing = true;
      const flow = (async () => {
        for (let round = 6; flowing && round < 40; round++) {
          await send(round);
          await sleep(100);
        }
      })();
      const report = await rebuild(config);
      flowing = false;
      await flow;
      expect(report.differences).toEqual({
        usage_hourly: 0,
        usage_resource_hourly: 0,
        usage_monthly: 0,
        correction_outcomes: 0,
        usage_daily: 0,
        usage_resource_day: 0,
      });
      expect(report.events).toBeGreaterThan(0);
      expect(await oid()).not.toBe(before); // the rebuilt table is the one in place now
      expect(await grants()).toEqual(grantsBefore);
      await send(99);
      await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
      expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));
      expect(await seenCount(db.pool)).toBe(produced.length);
      const { rows } = await db.pool.query(
        `SELECT relname FROM pg_class WHERE relname LIKE '%\\_rebuild' OR relname LIKE '%\\_replaced'`,
      );
      expect(rows).toEqual([]);
    } finally {
      await p.disconnect();
      await live.app.close();
    }
  }, 120_000);
});
