import { BoundedAnswers } from './bounded-staleness';

/** A computation the test finishes by hand, and the clock it reads. */
class Harness {
  t = 0;
  /** What a computation started now would see: the data's version at its start. */
  version = 0;
  pending: { resolve: (v: number) => void; reject: (e: Error) => void; saw: number }[] = [];
  readonly answers: BoundedAnswers<number>;

  constructor(bound: number) {
    this.answers = new BoundedAnswers<number>(bound, () => this.t);
  }

  get(): Promise<number> {
    return this.answers.get('q', () => {
      const saw = this.version;
      return new Promise<number>((resolve, reject) => this.pending.push({ resolve, reject, saw }));
    });
  }

  /** Finishes the oldest computation after `ms`, answering the version it saw at its start. */
  async finish(ms = 0): Promise<void> {
    this.t += ms;
    const p = this.pending.shift()!;
    p.resolve(p.saw);
    await flush();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('BoundedAnswers', () => {
  it('given concurrent readers of one question, then one computation answers them all', async () => {
    const h = new Harness(500);
    const calls = [h.get(), h.get(), h.get()];
    expect(h.pending).toHaveLength(1);
    await h.finish(40);
    expect(await Promise.all(calls)).toEqual([0, 0, 0]);
    expect(h.answers.computations).toBe(1);
  });

  it('given a held answer within the bound, then it is served at once while the next is computed ahead', async () => {
    const h = new Harness(500);
    const first = h.get();
    await h.finish(100); // took 100 ms: the next starts once the answer is 300 ms old
    await first;
    h.version = 1; // a fold
    h.t = 250;
    expect(await h.get()).toBe(0); // served from the held answer, nothing started
    expect(h.pending).toHaveLength(0);
    h.t = 320;
    expect(await h.get()).toBe(0); // served at once; the next one starts in the background
    expect(h.pending).toHaveLength(1);
    expect(await h.get()).toBe(0); // and is not started twice
    expect(h.pending).toHaveLength(1);
    await h.finish(100);
    expect(await h.get()).toBe(1);
  });

  it('given random folds, reads and computation times, then no answer is older than the bound and every fold is visible within it', async () => {
    const bound = 500;
    const h = new Harness(bound);
    const commits: number[] = []; // when version v + 1 was committed: commits[v]
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const served: Promise<void>[] = [];
    for (let step = 0; step < 2000; step++) {
      h.t += Math.floor(random() * 40);
      if (random() < 0.2) {
        h.version++;
        commits.push(h.t);
      }
      if (h.pending.length > 0 && random() < 0.3) await h.finish(Math.floor(random() * 30));
      const asked = h.t;
      served.push(
        h.get().then((v) => {
          // Every fold committed more than `bound` before the read arrived is in its answer.
          const due = commits.filter((c) => c < asked - bound).length;
          expect(v).toBeGreaterThanOrEqual(due);
        }),
      );
    }
    while (h.pending.length > 0) await h.finish(10);
    await Promise.all(served);
    expect(h.answers.computations).toBeLessThan(served.length / 3);
  });

  it('given a bound of 0, then a reader never gets an answer computed before it arrived', async () => {
    const h = new Harness(0);
    const first = h.get();
    h.version = 1;
    h.t = 1;
    const second = h.get(); // the first one's computation began before the fold: not joined
    expect(h.pending).toHaveLength(2);
    await h.finish();
    await h.finish();
    expect([await first, await second]).toEqual([0, 1]);
  });

  it('given a failed computation, then its readers see the error and the next reader computes again', async () => {
    const h = new Harness(500);
    const failed = h.get();
    h.pending.shift()!.reject(new Error('db down'));
    await expect(failed).rejects.toThrow('db down');
    const again = h.get();
    expect(h.pending).toHaveLength(1);
    await h.finish();
    expect(await again).toBe(0);
  });
});
