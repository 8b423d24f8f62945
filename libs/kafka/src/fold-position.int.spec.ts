import type { Admin } from 'kafkajs';
import { createTestTopics, TestTopics } from '../../../test/support/kafka';
import { BarrierTimeoutError, foldLag, untilFolded } from './fold-position';

/**
 * The fold check against the real broker, the positions given directly (the store that keeps
 * them has tests of its own). Two partitions matter: one whose records were all deleted, so its
 * log starts where it ends, and one holding records; neither has a stored position.
 */
describe('untilFolded (real Kafka)', () => {
  let topics: TestTopics;
  let admin: Admin;
  let ends: Map<number, bigint>;
  let emptied: number;
  let holding: number;

  beforeAll(async () => {
    topics = await createTestTopics();
    admin = topics.kafka.admin();
    await admin.connect();
    // Idempotent, so a send the client retries does not write a record twice and move the ends
    // these tests count on.
    const producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topics.usage,
      messages: [0, 0, 0, 1, 1].map((partition, i) => ({ partition, key: `org-${i}`, value: 'x' })),
    });
    await producer.disconnect();
    [emptied, holding] = [0, 1];
    // kafkajs finds the leaders in the admin's metadata, which only asking loads.
    await admin.fetchTopicMetadata({ topics: [topics.usage] });
    await admin.deleteTopicRecords({ topic: topics.usage, partitions: [{ partition: emptied, offset: '-1' }] });
    ends = new Map((await admin.fetchTopicOffsets(topics.usage)).map((o) => [o.partition, BigInt(o.high)]));
  });
  afterAll(async () => {
    await admin?.disconnect();
    await topics?.drop();
  });

  const wait = (stored: Map<number, bigint>, timeoutMs: number) =>
    untilFolded({ admin, topic: topics.usage, stored: async () => stored, timeoutMs });

  it('given a partition with no stored position whose log start is its end, then it counts as folded; one with records and none does not', async () => {
    const offsets = await admin.fetchTopicOffsets(topics.usage);
    expect(offsets.find((o) => o.partition === emptied)).toMatchObject({ low: '3', high: '3' });
    expect(offsets.find((o) => o.partition === holding)).toMatchObject({ low: '0', high: '2' });
    const err = await wait(new Map(), 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierTimeoutError);
    expect((err as BarrierTimeoutError).lagging).toEqual([{ partition: holding, folded: 0n, needed: 2n }]);
    expect((err as Error).message).toMatch(new RegExp(`partition ${holding} at 0 of 2`));
    expect(await foldLag(admin, topics.usage, async () => new Map())).toBe(2n);
  });

  it('given positions at the ends, then it passes; given one a record short, then it waits for it', async () => {
    const stored = new Map([[holding, 1n]]);
    await expect(wait(stored, 300)).rejects.toThrow(new RegExp(`partition ${holding} at 1 of 2`));
    const waiting = wait(stored, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    stored.set(holding, ends.get(holding)!);
    await expect(waiting).resolves.toBeUndefined();
    expect(await foldLag(admin, topics.usage, async () => stored)).toBe(0n);
  });
});
