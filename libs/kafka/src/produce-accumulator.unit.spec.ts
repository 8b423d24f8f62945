import { AccumulatorLimits, Placement, ProduceAccumulator } from './produce-accumulator';

interface Msg {
  id: string;
  partition: number;
  bytes: number;
}

class Unavailable extends Error {}

/** A fake Kafka: every send waits until the test settles it. */
class FakeKafka {
  readonly sends: { ids: string[]; settle: (e?: Error) => void }[] = [];
  down: Error | null = null;
  readonly placement: Placement<Msg> = {
    partitionOf: (m) => m.partition,
    send: (byPartition) =>
      new Promise<void>((resolve, reject) => {
        const ids = [...byPartition.values()].flat().map((m) => m.id);
        this.sends.push({ ids, settle: (e) => (e ? reject(e) : resolve()) });
      }),
  };
  prepare = async () => {
    if (this.down) throw this.down;
    return this.placement;
  };
}

const msgs = (prefix: string, n: number, partition = 0, bytes = 10): Msg[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, partition, bytes }));
const tick = () => new Promise((r) => setImmediate(r));
const limits: AccumulatorLimits = {
  maxMessagesPerSend: 1000,
  maxPartitionBytes: 1000,
  maxQueuedBytes: 100_000,
  waitTimeoutMs: 60_000,
};

function setup(overrides: Partial<AccumulatorLimits> = {}) {
  const kafka = new FakeKafka();
  const seen: [number, boolean][] = [];
  const acc = new ProduceAccumulator<Msg>(
    kafka.prepare,
    { ...limits, ...overrides },
    {
      onSend: (n, _s, ok) => seen.push([n, ok]),
      unavailable: (reason) => new Unavailable(reason),
    },
  );
  return { kafka, acc, seen };
}

/** Tracks a promise's outcome without awaiting it. */
function watch(p: Promise<void>) {
  const state: { v: 'pending' | 'ok' | Error } = { v: 'pending' };
  p.then(
    () => (state.v = 'ok'),
    (e: Error) => (state.v = e),
  );
  return state;
}

describe('ProduceAccumulator', () => {
  it('sends the first request at once and everything that arrives meanwhile together in the next send', async () => {
    const { kafka, acc, seen } = setup();
    const a = watch(acc.add(msgs('a', 3)));
    await tick();
    expect(kafka.sends.map((s) => s.ids)).toEqual([['a0', 'a1', 'a2']]);
    const b = watch(acc.add(msgs('b', 2)));
    const c = watch(acc.add(msgs('c', 2)));
    await tick();
    expect(kafka.sends).toHaveLength(1);
    kafka.sends[0]!.settle();
    await tick();
    expect(a.v).toBe('ok');
    expect(kafka.sends[1]!.ids).toEqual(['b0', 'b1', 'c0', 'c1']);
    expect([b.v, c.v]).toEqual(['pending', 'pending']);
    kafka.sends[1]!.settle();
    await tick();
    expect([b.v, c.v]).toEqual(['ok', 'ok']);
    expect(seen).toEqual([
      [3, true],
      [4, true],
    ]);
    expect(acc.idle).toBe(true);
  });

  it('fails exactly the requests a failed send carried', async () => {
    const { kafka, acc } = setup();
    const a = watch(acc.add(msgs('a', 1)));
    await tick();
    const b = watch(acc.add(msgs('b', 1)));
    const c = watch(acc.add(msgs('c', 1)));
    kafka.sends[0]!.settle(new Unavailable('broker went away'));
    await tick();
    expect(a.v).toBeInstanceOf(Unavailable);
    expect(kafka.sends[1]!.ids).toEqual(['b0', 'c0']);
    kafka.sends[1]!.settle();
    await tick();
    expect([b.v, c.v]).toEqual(['ok', 'ok']);
  });

  it('answers a request that spans sends only once all of them are acknowledged, and fails it if any fails', async () => {
    const { kafka, acc } = setup({ maxMessagesPerSend: 4 });
    const a = watch(acc.add(msgs('a', 6)));
    const b = watch(acc.add(msgs('b', 2)));
    await tick();
    expect(kafka.sends[0]!.ids).toEqual(['a0', 'a1', 'a2', 'a3']);
    kafka.sends[0]!.settle();
    await tick();
    expect(a.v).toBe('pending');
    expect(kafka.sends[1]!.ids).toEqual(['a4', 'a5', 'b0', 'b1']);
    kafka.sends[1]!.settle();
    await tick();
    expect([a.v, b.v]).toEqual(['ok', 'ok']);

    const c = watch(acc.add(msgs('c', 6)));
    const d = watch(acc.add(msgs('d', 1)));
    await tick();
    kafka.sends[2]!.settle();
    await tick();
    kafka.sends[3]!.settle(new Unavailable('timeout'));
    await tick();
    expect(c.v).toBeInstanceOf(Unavailable);
    expect(d.v).toBeInstanceOf(Unavailable); // d0 rode in the same failed send as c4, c5
  });

  it('drops the messages still waiting of a request that already failed', async () => {
    const { kafka, acc } = setup({ maxMessagesPerSend: 2 });
    const a = watch(acc.add(msgs('a', 5)));
    const b = watch(acc.add(msgs('b', 1)));
    await tick();
    kafka.sends[0]!.settle(new Unavailable('nope'));
    await tick();
    expect(a.v).toBeInstanceOf(Unavailable);
    expect(kafka.sends[1]!.ids).toEqual(['b0']);
    kafka.sends[1]!.settle();
    await tick();
    expect(b.v).toBe('ok');
  });

  it('keeps each partition under its byte limit per send, stopping in order at the first message that does not fit', async () => {
    const { kafka, acc } = setup({ maxPartitionBytes: 30 });
    void acc.add([...msgs('p0-', 4, 0), ...msgs('p1-', 2, 1)]);
    await tick();
    expect(kafka.sends[0]!.ids).toEqual(['p0-0', 'p0-1', 'p0-2']);
    kafka.sends[0]!.settle();
    await tick();
    expect(kafka.sends[1]!.ids).toEqual(['p0-3', 'p1-0', 'p1-1']);
    kafka.sends[1]!.settle();
    await acc.whenIdle();
  });

  it('sends a single message larger than the partition limit on its own rather than never', async () => {
    const { kafka, acc } = setup({ maxPartitionBytes: 30 });
    const a = watch(acc.add([{ id: 'huge', partition: 0, bytes: 100 }]));
    await tick();
    kafka.sends[0]!.settle();
    await tick();
    expect(a.v).toBe('ok');
  });

  it('fails every waiting request at once when Kafka cannot be reached', async () => {
    const { kafka, acc } = setup();
    kafka.down = new Unavailable('connection refused');
    const a = watch(acc.add(msgs('a', 1)));
    const b = watch(acc.add(msgs('b', 1)));
    await tick();
    expect(a.v).toBe(kafka.down);
    expect(b.v).toBe(kafka.down);
    expect(kafka.sends).toHaveLength(0);
    expect(acc.idle).toBe(true);
  });

  it('times a request out while it waits, and never sends its messages', async () => {
    jest.useFakeTimers();
    try {
      const { kafka, acc } = setup({ waitTimeoutMs: 100 });
      const a = watch(acc.add(msgs('a', 1)));
      await jest.advanceTimersByTimeAsync(0);
      const b = watch(acc.add(msgs('b', 1)));
      await jest.advanceTimersByTimeAsync(150);
      expect(a.v).toBeInstanceOf(Unavailable);
      expect(b.v).toBeInstanceOf(Unavailable);
      kafka.sends[0]!.settle();
      await jest.advanceTimersByTimeAsync(0);
      expect(kafka.sends).toHaveLength(1);
      expect(acc.idle).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses new messages at once beyond the bytes allowed to wait', async () => {
    const { kafka, acc } = setup({ maxQueuedBytes: 50 });
    void acc.add(msgs('a', 1));
    await tick();
    const b = watch(acc.add(msgs('b', 4)));
    const c = watch(acc.add(msgs('c', 2)));
    await tick();
    expect(b.v).toBe('pending');
    expect(c.v).toBeInstanceOf(Unavailable);
    kafka.sends[0]!.settle();
    await tick();
    kafka.sends[1]!.settle();
    await acc.whenIdle();
    expect(b.v).toBe('ok');
  });

  it('whenIdle waits for what is queued and in flight', async () => {
    const { kafka, acc } = setup();
    void acc.add(msgs('a', 1));
    let idle = false;
    void acc.whenIdle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    kafka.sends[0]!.settle();
    await tick();
    expect(idle).toBe(true);
  });
});
