import { Admin, KafkaJSError } from 'kafkajs';
import { BarrierTimeoutError, foldState, PartitionLog, untilFolded } from './fold-position';

const log = (partition: number, low: bigint, high: bigint): PartitionLog => ({ partition, low, high });

describe('foldState: stored positions against the logs', () => {
  it('given a partition with no stored position whose log start is its end, then it is folded', () => {
    expect(foldState([log(0, 7n, 7n)], new Map())).toEqual({ folded: 0n, needed: 0n, lagging: [] });
  });

  it('given a partition with records and no stored position, then it lags from its log start', () => {
    expect(foldState([log(0, 3n, 10n)], new Map())).toEqual({
      folded: 0n,
      needed: 7n,
      lagging: [{ partition: 0, folded: 3n, needed: 10n }],
    });
  });

  it('given an empty partition never written to, then it is folded', () => {
    expect(foldState([log(0, 0n, 0n)], new Map()).lagging).toEqual([]);
  });

  it('given a stored position below the log start, then it counts from the log start', () => {
    expect(
      foldState(
        [log(0, 5n, 5n), log(1, 5n, 9n)],
        new Map([
          [0, 2n],
          [1, 2n],
        ]),
      ),
    ).toEqual({
      folded: 0n,
      needed: 4n,
      lagging: [{ partition: 1, folded: 5n, needed: 9n }],
    });
  });

  it('counts progress over every partition and names only those short of their end', () => {
    const state = foldState(
      [log(0, 0n, 10n), log(1, 0n, 4n), log(2, 2n, 2n)],
      new Map([
        [0, 10n],
        [1, 1n],
      ]),
    );
    expect(state).toEqual({ folded: 11n, needed: 14n, lagging: [{ partition: 1, folded: 1n, needed: 4n }] });
  });
});

/** An admin that answers the given offsets, after `failures` retriable errors. */
function fakeAdmin(
  offsets: { partition: number; low: string; high: string }[],
  failures = 0,
): Admin & { asked: number } {
  const admin = {
    asked: 0,
    async fetchTopicOffsets() {
      admin.asked++;
      if (admin.asked <= failures)
        throw new KafkaJSError('This server is not the leader for that topic-partition', { retriable: true });
      return offsets.map((o) => ({ ...o, offset: o.high }));
    },
    async fetchTopicMetadata() {
      return { topics: [] };
    },
  };
  return admin as unknown as Admin & { asked: number };
}

describe('untilFolded', () => {
  const offsets = [
    { partition: 0, low: '0', high: '5' },
    { partition: 1, low: '4', high: '4' },
  ];

  it('asks again after a retriable error, reports progress, and resolves once the positions reach the ends', async () => {
    const admin = fakeAdmin(offsets, 2);
    const progress: bigint[] = [];
    let reads = 0;
    await untilFolded({
      admin,
      topic: 't',
      stored: async () => new Map([[0, reads++ < 2 ? 3n : 5n]]),
      timeoutMs: 10_000,
      onProgress: (p) => progress.push(p.folded),
    });
    expect(admin.asked).toBe(3);
    expect(progress).toEqual([3n, 3n, 5n]);
  });

  it('counts a failed read of the positions as not yet', async () => {
    let reads = 0;
    const stored = async () => {
      if (reads++ < 2) throw new Error('Connection terminated unexpectedly');
      return new Map([[0, 5n]]);
    };
    await expect(
      untilFolded({ admin: fakeAdmin(offsets), topic: 't', stored, timeoutMs: 10_000 }),
    ).resolves.toBeUndefined();
    expect(reads).toBe(3);
  });

  it('given reads that still fail at the deadline, then it throws the read error, not a timeout', async () => {
    const stored = async (): Promise<Map<number, bigint>> => {
      throw new Error('Connection terminated unexpectedly');
    };
    await expect(untilFolded({ admin: fakeAdmin(offsets), topic: 't', stored, timeoutMs: 250 })).rejects.toThrow(
      'Connection terminated',
    );
  });

  it('given a partition short of its end at the deadline, then it throws BarrierTimeoutError naming it', async () => {
    const err = await untilFolded({
      admin: fakeAdmin(offsets),
      topic: 't',
      stored: async () => new Map([[0, 2n]]),
      timeoutMs: 250,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierTimeoutError);
    expect((err as BarrierTimeoutError).lagging).toEqual([{ partition: 0, folded: 2n, needed: 5n }]);
    expect((err as Error).message).toMatch(/everything t held .*partition 0 at 2 of 5 \(3 behind\)/);
  });

  it('given an error that is not retriable, then it throws it at once', async () => {
    const admin = {
      fetchTopicOffsets: async () => {
        throw new KafkaJSError('topic authorization failed', { retriable: false });
      },
    } as unknown as Admin;
    await expect(untilFolded({ admin, topic: 't', stored: async () => new Map(), timeoutMs: 10_000 })).rejects.toThrow(
      'authorization',
    );
  });
});
