import type { UsageEvent } from '@metering/catalog';
import { asServiceRole } from '@metering/db';
import { AggregatorChild } from '../bench/fold-child';
import {
  expectedProjections,
  produce,
  producer,
  seenCount,
  sleep,
  storedProjections,
  usageEvents,
} from './aggregator-support';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { foldedToEnd } from './support/services';

/**
 * kill -9 of real aggregator processes (`node dist/apps/aggregator/src/main.js`) at random
 * moments while events flow, two instances in one group: whatever a kill interrupts (a fetch,
 * a transaction, the Kafka commit after the Postgres one, a rebalance), every distinct event
 * ends up in the projections exactly once.
 */
describe('aggregator killed with SIGKILL while events flow (real processes)', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  const group = `kill-test-${Date.now()}`;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('given six kills of one of two instances at random moments, then every distinct event is counted exactly once', async () => {
    const env = { databaseUrl: asServiceRole(db.url), topic: topics.usage, dlqTopic: topics.dlq, group };
    const children = [await AggregatorChild.start(env), await AggregatorChild.start(env)];
    const p = await producer(topics.kafka);
    const produced: UsageEvent[] = [];
    const flow = (async () => {
      for (let round = 0; round < 30; round++) {
        const fresh = usageEvents(1000, Date.UTC(2026, 10, 20, round % 24), `k${round}`);
        const resent = produced.slice(-300).filter((_, i) => i % 3 === 0); // a host re-sending part of an earlier batch
        await produce(p, topics.usage, [...fresh, ...resent]);
        produced.push(...fresh);
        await sleep(150);
      }
    })();
    const kills: string[] = [];
    try {
      for (let k = 0; k < 6; k++) {
        await sleep(400 + Math.floor(Math.random() * 1200));
        const victim = Math.floor(Math.random() * children.length);
        await children[victim]!.kill();
        kills.push(`#${victim} at ${new Date().toISOString().slice(17, 23)}`);
        await sleep(Math.floor(Math.random() * 500));
        children[victim] = await AggregatorChild.start(env);
      }
      await flow;
      await Promise.all(children.map((c) => c.ready()));
      await foldedToEnd(topics.kafka, topics.usage, db.pool, group, 120_000);
      expect(await storedProjections(db.pool)).toEqual(expectedProjections(produced));
      expect(await seenCount(db.pool)).toBe(produced.length);
    } catch (e) {
      throw new Error(
        `${String(e)}\nkills: ${kills.join(', ')}\nlast logs: ${children.map((c) => c.logs().slice(-1500)).join('\n---\n')}`,
        { cause: e },
      );
    } finally {
      await p.disconnect();
      await Promise.all(children.map((c) => c.stop()));
    }
  }, 240_000);
});
