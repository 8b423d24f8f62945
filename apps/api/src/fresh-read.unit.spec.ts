import { FreshRead } from './fresh-read';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('FreshRead', () => {
  it('given calls while a read is in flight, then they share the next read, which starts after it', async () => {
    const reads: ReturnType<typeof deferred<number>>[] = [];
    const shared = new FreshRead(() => {
      const d = deferred<number>();
      reads.push(d);
      return d.promise;
    });
    const first = shared.get();
    const later = [shared.get(), shared.get(), shared.get()];
    expect(reads).toHaveLength(1); // the later calls do not join the read that started before them
    reads[0]!.resolve(1);
    expect(await first).toBe(1);
    await Promise.resolve();
    expect(reads).toHaveLength(2);
    reads[1]!.resolve(2);
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    expect(shared.reads).toBe(2);
  });

  it('given a failed read, then its caller sees the error and the queued calls get the next read', async () => {
    let n = 0;
    const gates: ReturnType<typeof deferred<number>>[] = [];
    const shared = new FreshRead(() => {
      n++;
      const d = deferred<number>();
      gates.push(d);
      return d.promise;
    });
    const first = shared.get();
    const second = shared.get();
    gates[0]!.reject(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await Promise.resolve();
    gates[1]!.resolve(7);
    expect([await second, n]).toEqual([7, 2]);
  });

  it('given no read in flight, then a call reads at once', async () => {
    let n = 0;
    const shared = new FreshRead(async () => ++n);
    expect(await shared.get()).toBe(1);
    expect(await shared.get()).toBe(2);
  });
});
