/**
 * Runs partition batches' apply steps: up to `concurrency` at once, never two of the same
 * partition at once, each partition's in the order they were added. The caller watches `size`
 * to hold fetching back when Postgres is the slower side.
 *
 * A partition can be reset (after a seek or a rebalance): its steps still queued are dropped,
 * and one running finishes but its outcome is marked stale for the caller to ignore.
 */
export interface ApplyTask<R> {
  partition: number;
  run(): Promise<R>;
  /** Called with the outcome; `stale` when the partition was reset since the task was added. */
  settle(outcome: { ok: true; value: R } | { ok: false; error: unknown }, stale: boolean): void;
}

interface Queued<R> {
  task: ApplyTask<R>;
  epoch: number;
}

export class ApplyPipeline<R> {
  private readonly queued: Queued<R>[] = [];
  private readonly busy = new Set<number>();
  private readonly epochs = new Map<number, number>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  /** Steps waiting or running. */
  get size(): number {
    return this.queued.length + this.running;
  }

  add(task: ApplyTask<R>): void {
    this.queued.push({ task, epoch: this.epoch(task.partition) });
    this.pump();
  }

  /** Drops the partition's queued steps; a running one's outcome will be reported stale. */
  reset(partition: number): void {
    this.epochs.set(partition, this.epoch(partition) + 1);
    for (let i = this.queued.length - 1; i >= 0; i--) {
      if (this.queued[i]!.task.partition === partition) this.queued.splice(i, 1);
    }
    this.wake();
  }

  resetAll(): void {
    for (const p of new Set([...this.queued.map((q) => q.task.partition), ...this.busy, ...this.epochs.keys()]))
      this.reset(p);
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private epoch(partition: number): number {
    return this.epochs.get(partition) ?? 0;
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const i = this.queued.findIndex((q) => !this.busy.has(q.task.partition));
      if (i === -1) return;
      const [next] = this.queued.splice(i, 1);
      void this.start(next!);
    }
  }

  private async start({ task, epoch }: Queued<R>): Promise<void> {
    this.running++;
    this.busy.add(task.partition);
    let outcome: { ok: true; value: R } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await task.run() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    this.running--;
    this.busy.delete(task.partition);
    try {
      task.settle(outcome, epoch !== this.epoch(task.partition));
    } finally {
      this.pump();
      this.wake();
    }
  }

  private wake(): void {
    if (this.size === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }
}
