import { ApplyPipeline } from './apply-pipeline';

const tick = () => new Promise((r) => setImmediate(r));

function deferred() {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ApplyPipeline', () => {
  it('runs up to `concurrency` steps at once, never two of one partition, each partition in order', async () => {
    const pipeline = new ApplyPipeline<string>(2);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const settled: string[] = [];
    const add = (partition: number, name: string) => {
      gates.set(name, deferred());
      pipeline.add({
        partition,
        run: () => (started.push(name), gates.get(name)!.promise),
        settle: (o) => settled.push(o.ok ? o.value : 'error'),
      });
    };
    add(0, 'p0a');
    add(0, 'p0b');
    add(1, 'p1a');
    add(2, 'p2a');
    await tick();
    expect(started).toEqual(['p0a', 'p1a']); // p0b waits for p0a, p2a for a free slot
    gates.get('p0a')!.resolve('p0a');
    await tick();
    expect(started).toEqual(['p0a', 'p1a', 'p0b']);
    gates.get('p1a')!.resolve('p1a');
    await tick();
    expect(started).toEqual(['p0a', 'p1a', 'p0b', 'p2a']);
    gates.get('p0b')!.resolve('p0b');
    gates.get('p2a')!.resolve('p2a');
    await pipeline.idle();
    expect(settled).toEqual(['p0a', 'p1a', 'p0b', 'p2a']);
  });

  it('given a reset, then the partition’s queued steps are dropped and the running one is reported stale', async () => {
    const pipeline = new ApplyPipeline<string>(1);
    const gate = deferred();
    const outcomes: [string, boolean][] = [];
    const ran: string[] = [];
    pipeline.add({
      partition: 0,
      run: () => (ran.push('a'), gate.promise),
      settle: (o, stale) => outcomes.push([o.ok ? o.value : 'error', stale]),
    });
    pipeline.add({
      partition: 0,
      run: async () => (ran.push('b'), 'b'),
      settle: (o, stale) => outcomes.push([o.ok ? o.value : 'error', stale]),
    });
    await tick();
    pipeline.reset(0);
    expect(pipeline.size).toBe(1);
    gate.resolve('a');
    await pipeline.idle();
    expect(ran).toEqual(['a']);
    expect(outcomes).toEqual([['a', true]]);
  });

  it('given a step that fails, then its outcome says so and the others go on', async () => {
    const pipeline = new ApplyPipeline<string>(1);
    const outcomes: string[] = [];
    pipeline.add({
      partition: 0,
      run: () => Promise.reject(new Error('boom')),
      settle: (o) => outcomes.push(o.ok ? o.value : String((o as { error: unknown }).error)),
    });
    pipeline.add({ partition: 1, run: async () => 'ok', settle: (o) => outcomes.push(o.ok ? o.value : 'error') });
    await pipeline.idle();
    expect(outcomes).toEqual(['Error: boom', 'ok']);
  });
});
