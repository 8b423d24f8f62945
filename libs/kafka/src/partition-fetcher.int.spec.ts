import { CompressionTypes, Producer } from 'kafkajs';
import { createTestTopics, TestTopics } from '../../../test/support/kafka';
import { kafkaBrokers } from '../../../test/support/urls';
import { FetchedBatch, PartitionFetcher } from './partition-fetcher';

const until = async (what: string, ok: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('PartitionFetcher against the real broker', () => {
  let topics: TestTopics;
  const producers: Producer[] = [];
  const batches: FetchedBatch[] = [];
  const outOfRange: [number, bigint][] = [];
  let fetcher: PartitionFetcher;

  const send = async (
    values: string[],
    opts: { compression?: CompressionTypes; transaction?: 'commit' | 'abort' } = {},
  ) => {
    const messages = values.map((v) => ({ key: 'k', value: v, partition: 0, headers: { schema: 's1' } }));
    if (!opts.transaction) {
      const p = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      await p.connect();
      await p.send({ topic: topics.usage, acks: -1, compression: opts.compression, messages });
      return;
    }
    const p = topics.kafka.producer({
      transactionalId: `fetcher-test-${topics.usage}-${producers.length}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    producers.push(p);
    await p.connect();
    const tx = await p.transaction();
    await tx.send({ topic: topics.usage, acks: -1, messages });
    await (opts.transaction === 'commit' ? tx.commit() : tx.abort());
  };

  const records = (from = 0) =>
    batches.slice(from).flatMap((b) =>
      Array.from({ length: b.records.length }, (_, i) => ({
        offset: b.records.offset(i),
        value: String(b.records.value(i)),
      })),
    );
  const values = (from = 0) => records(from).map((r) => r.value);
  beforeAll(async () => {
    topics = await createTestTopics();
    await send(['a', 'b', 'c', 'd', 'e']); // 0-4
    await send(['f', 'g', 'h'], { compression: CompressionTypes.GZIP }); // 5-7
    await send(['aborted-1', 'aborted-2'], { transaction: 'abort' }); // 8-9; its marker when the coordinator writes it
    await send(['committed'], { transaction: 'commit' });
    await send(['i', 'j']);
    fetcher = new PartitionFetcher({
      brokers: kafkaBrokers(),
      topic: topics.usage,
      clientId: 'fetcher-test',
      maxBytesPerPartition: 1 << 20,
      maxBytes: 1 << 20,
      minBytes: 1,
      maxWaitTimeInMs: 50,
      deliver: async (b) => {
        batches.push(b);
      },
      outOfRange: (p, offset) => outOfRange.push([p, offset]),
      warn: () => undefined,
    });
    fetcher.start();
  }, 60_000);

  afterAll(async () => {
    await fetcher?.stop();
    for (const p of producers) await p.disconnect();
    await topics?.drop();
  });

  it('reads a partition from its position: committed records only, gzip too, each batch starting where the last ended', async () => {
    fetcher.seek(0, 0n);
    await until('the last record', () => values().includes('j'));
    expect(values()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'committed', 'i', 'j']);
    expect(
      records()
        .slice(0, 8)
        .map((r) => r.offset),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(records().every((r, i, all) => i === 0 || r.offset > all[i - 1]!.offset)).toBe(true);
    // Numbers, not bigints: jest's workers cannot report a failed comparison of bigints.
    expect(Number(batches[0]!.firstOffset)).toBe(0);
    for (let i = 1; i < batches.length; i++)
      expect(Number(batches[i]!.firstOffset)).toBe(Number(batches[i - 1]!.nextOffset));
    expect(batches.every((b) => b.partition === 0 && b.highWatermark >= b.nextOffset)).toBe(true);
    expect(batches[0]!.records.schemaHeader(0)?.toString()).toBe('s1');
  });

  it('reads again from where it is sought, even inside a record batch', async () => {
    const seen = batches.length;
    fetcher.seek(0, 6n);
    await until('the last record again', () => values(seen).includes('j'));
    expect(Number(batches[seen]!.firstOffset)).toBe(6);
    expect(values(seen)).toEqual(['g', 'h', 'committed', 'i', 'j']);
    expect(records(seen)[0]!.offset).toBe(6);
  });

  it('reports a position past the log and stops reading the partition until it is sought', async () => {
    const seen = batches.length;
    fetcher.seek(0, 1000n);
    await until('out of range', () => outOfRange.length > 0);
    expect(outOfRange[0]).toEqual([0, 1000n]);
    await new Promise((r) => setTimeout(r, 300));
    expect(outOfRange).toHaveLength(1);
    expect(batches.length).toBe(seen);
  });

  it('does not read paused partitions, and goes on once they are resumed', async () => {
    const i = records().find((r) => r.value === 'i')!.offset;
    fetcher.seek(0, BigInt(i));
    fetcher.pause([0]);
    const seen = batches.length;
    await send(['k']);
    await new Promise((r) => setTimeout(r, 300));
    expect(batches.length).toBe(seen);
    fetcher.resume([0]);
    await until('the new record', () => values(seen).includes('k'));
    expect(values(seen)).toEqual(['i', 'j', 'k']);
  });
});
