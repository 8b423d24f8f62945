import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { createTestTopics, TestTopics } from '../../../test/support/kafka';
import { ProjectionStore } from '@metering/db';
import { waitUntilFolded } from './barrier';
import { BarrierTimeoutError } from './errors';

describe('close barrier (real Kafka and Postgres)', () => {
  let db: TestDatabase;
  let topics: TestTopics;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.usage, messages: Array.from({ length: 30 }, (_, i) => ({ key: `org-${i}`, value: 'x' })) });
    await producer.disconnect();
  });
  afterAll(async () => Promise.all([db.drop(), topics.drop()]));

  async function ends(): Promise<Map<number, bigint>> {
    const admin = topics.kafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topics.usage)).map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  async function barrier(group: string, timeoutMs: number): Promise<void> {
    const admin = topics.kafka.admin();
    await admin.connect();
    try {
      await waitUntilFolded({ admin, store: new ProjectionStore(db.pool), group, topic: topics.usage, timeoutMs });
    } finally {
      await admin.disconnect();
    }
  }

  it('given an aggregator that folded nothing, then it times out naming every partition that holds events', async () => {
    const nonEmpty = [...(await ends())].filter(([, high]) => high > 0n).map(([p]) => p);
    const err = await barrier('idle-group', 600).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierTimeoutError);
    expect((err as BarrierTimeoutError).lagging.map((l) => l.partition).sort((a, b) => a - b)).toEqual(nonEmpty.sort((a, b) => a - b));
    expect((err as Error).message).toMatch(/partition \d+ at 0 of \d+/);
  });

  it('given stored positions at the end offsets, then it passes; given one partition a message short, then it waits for it', async () => {
    const high = await ends();
    const store = async (short: number | null) => {
      for (const [p, h] of high) {
        await db.pool.query(
          `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES ('g', $1, $2, $3)
           ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
          [topics.usage, p, (p === short && h > 0n ? h - 1n : h).toString()],
        );
      }
    };
    const lagging = [...high].find(([, h]) => h > 0n)![0];
    await store(lagging);
    await expect(barrier('g', 600)).rejects.toThrow(new RegExp(`partition ${lagging} at`));
    const waiting = barrier('g', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await store(null);
    await expect(waiting).resolves.toBeUndefined();
  });
});
