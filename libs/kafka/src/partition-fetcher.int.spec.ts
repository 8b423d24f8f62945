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

  const send = async (values: string[], opts: { compression?: CompressionTypes; transaction?: 'commit' | 'abort' } = {}) => {
    const messages = values.map((v) => ({ key: 'k', value: v, partition: 0, headers: { schema: 's1' } }));
    if (!opts.transaction) {
      const p = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      await p.connect();
      await p.send({ topic: topics.usage, acks: -1, compression: opts.compression, messages });
      return;
    }
    const p = topics.kafka.producer({ transactionalId: `fetcher-test-${topics.usage}-${producers.length}`, idempotent: true, maxInFlightRequests: 1 });
    producers.push(p);
    await p.connect();
    const tx = await p.transaction();
    await tx.send({ topic: topics.usage, acks: -1, messages });
    await (opts.transaction === 'commit' ? tx.commit() : tx.abort());
  };

  const values = (from = 0) => batches.slice(from).flatMap((b) => Array.from({ length: b.records.length }, (_, i) => `${b.records.offset(i)}:${b.records.value(i)}`));
  const lastNext = () => batches[batches.length - 1]?.nextOffset ?? -1n;

  beforeAll(async () => {
    topics = await createTestTopics();
    await send(['a', 'b', 'c', 'd', 'e']); // 0-4
    await send(['f', 'g', 'h'], { compression: CompressionTypes.GZIP }); // 5-7
    await send(['aborted-1', 'aborted-2'], { transaction: 'abort' }); // 8-9, marker 10
    await send(['committed'], { transaction: 'commit' }); // 11, marker 12
    await send(['i', 'j']); // 13-14
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
    await until('the end of the log', () => lastNext() === 15n);
    expect(values()).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e', '5:f', '6:g', '7:h', '11:committed', '13:i', '14:j']);
    expect(batches[0]!.firstOffset).toBe(0n);
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.firstOffset).toBe(batches[i - 1]!.nextOffset);
    expect(batches.every((b) => b.partition === 0 && b.highWatermark === 15n)).toBe(true);
    expect(batches[0]!.records.schemaHeader(0)?.toString()).toBe('s1');
  });

  it('reads again from where it is sought, even inside a record batch', async () => {
    const seen = batches.length;
    fetcher.seek(0, 6n);
    await until('the end of the log again', () => batches.length > seen && lastNext() === 15n);
    expect(batches[seen]!.firstOffset).toBe(6n);
    expect(values(seen)).toEqual(['6:g', '7:h', '11:committed', '13:i', '14:j']);
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
    fetcher.seek(0, 13n);
    fetcher.pause([0]);
    const seen = batches.length;
    await send(['k']); // 15
    await new Promise((r) => setTimeout(r, 300));
    expect(batches.length).toBe(seen);
    fetcher.resume([0]);
    await until('the new record', () => lastNext() === 16n);
    expect(values(seen)).toEqual(['13:i', '14:j', '15:k']);
  });
});
