/**
 * Coalesces the messages of concurrent requests into shared sends to Kafka. One send is in
 * flight at a time; whatever arrives meanwhile waits and goes out together in the next, so
 * eight hosts posting at once cost one round trip, not eight. Each request waits for the
 * acknowledgement of every send that carried one of its messages; a failed send fails exactly
 * the requests it carried (and drops their messages still waiting: the host re-sends them all).
 * Order is kept: messages leave in the order they were added.
 */
export interface Sized {
  /** Bytes the message takes in a record batch. */
  bytes: number;
}

/** Where the next send goes: a connection ready to produce, and how it places messages. */
export interface Placement<M> {
  partitionOf(m: M): number;
  send(byPartition: Map<number, M[]>): Promise<void>;
}

export interface AccumulatorLimits {
  /** Messages per send at most. */
  maxMessagesPerSend: number;
  /** Bytes per partition per send at most (the broker refuses a record batch above max.message.bytes). */
  maxPartitionBytes: number;
  /** Bytes waiting at most; beyond it, new messages are refused at once (the host backs off). */
  maxQueuedBytes: number;
  /** How long a request waits for its acknowledgement, queueing included, before it fails. */
  waitTimeoutMs: number;
}

export interface AccumulatorHooks {
  /** A send finished: how many messages it carried, how long it took, whether it was acknowledged. */
  onSend?(messages: number, seconds: number, ok: boolean): void;
  /** The error for messages refused or timed out here rather than by Kafka. */
  unavailable(reason: string): Error;
}

interface Waiter {
  unacked: number;
  done: boolean;
  resolve(): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

interface Chunk<M> {
  waiter: Waiter;
  messages: readonly M[];
  next: number;
}

export class ProduceAccumulator<M extends Sized> {
  private queue: Chunk<M>[] = [];
  private queuedBytes = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly prepare: () => Promise<Placement<M>>,
    private readonly limits: AccumulatorLimits,
    private readonly hooks: AccumulatorHooks,
  ) {}

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return !this.running && this.queue.length === 0;
  }

  /** Resolves once every message of `messages` is acknowledged; rejects if any cannot be. */
  add(messages: readonly M[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const m of messages) bytes += m.bytes;
    if (this.queuedBytes + bytes > this.limits.maxQueuedBytes && this.queuedBytes > 0) {
      return Promise.reject(this.hooks.unavailable(`too much waiting for Kafka (${this.queuedBytes} bytes)`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        unacked: messages.length,
        done: false,
        resolve,
        reject,
        timer: setTimeout(
          () => this.fail(waiter, this.hooks.unavailable(`not acknowledged within ${this.limits.waitTimeoutMs} ms`)),
          this.limits.waitTimeoutMs,
        ),
      };
      this.queue.push({ waiter, messages, next: 0 });
      this.queuedBytes += bytes;
      void this.run();
    });
  }

  /** Resolves when everything added so far has been sent (or has failed). */
  whenIdle(): Promise<void> {
    return this.idle ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        let placement: Placement<M>;
        try {
          placement = await this.prepare();
        } catch (e) {
          // No connection: everyone waiting hears it now rather than at their timeout.
          for (const chunk of [...this.queue]) this.fail(chunk.waiter, e);
          continue;
        }
        const { byPartition, count, carried } = this.take(placement);
        if (count === 0) continue;
        const started = process.hrtime.bigint();
        let ok = true;
        try {
          await placement.send(byPartition);
        } catch (e) {
          ok = false;
          for (const waiter of carried.keys()) this.fail(waiter, e);
        }
        this.hooks.onSend?.(count, Number(process.hrtime.bigint() - started) / 1e9, ok);
        if (ok) {
          for (const [waiter, n] of carried) {
            waiter.unacked -= n;
            if (waiter.unacked === 0 && !waiter.done) this.settle(waiter);
          }
        }
      }
    } finally {
      this.running = false;
      const waiting = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of waiting) r();
    }
  }

  /** The next send: messages from the head of the queue, in order, within the limits. */
  private take(placement: Placement<M>): {
    byPartition: Map<number, M[]>;
    count: number;
    carried: Map<Waiter, number>;
  } {
    const byPartition = new Map<number, M[]>();
    const partitionBytes = new Map<number, number>();
    const carried = new Map<Waiter, number>();
    let count = 0;
    fill: while (this.queue.length > 0) {
      const chunk = this.queue[0]!;
      let taken = 0;
      while (chunk.next < chunk.messages.length) {
        if (count >= this.limits.maxMessagesPerSend) break;
        const m = chunk.messages[chunk.next]!;
        const p = placement.partitionOf(m);
        const used = partitionBytes.get(p);
        // Stop at the first message that does not fit, rather than skipping it: order is kept.
        if (used !== undefined && used + m.bytes > this.limits.maxPartitionBytes) break;
        partitionBytes.set(p, (used ?? 0) + m.bytes);
        const list = byPartition.get(p);
        if (list) list.push(m);
        else byPartition.set(p, [m]);
        this.queuedBytes -= m.bytes;
        chunk.next++;
        taken++;
        count++;
      }
      if (taken > 0) carried.set(chunk.waiter, (carried.get(chunk.waiter) ?? 0) + taken);
      if (chunk.next < chunk.messages.length) break fill;
      this.queue.shift();
    }
    return { byPartition, count, carried };
  }

  private settle(waiter: Waiter): void {
    waiter.done = true;
    clearTimeout(waiter.timer);
    waiter.resolve();
  }

  private fail(waiter: Waiter, e: unknown): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    const kept: Chunk<M>[] = [];
    for (const chunk of this.queue) {
      if (chunk.waiter !== waiter) kept.push(chunk);
      else for (let i = chunk.next; i < chunk.messages.length; i++) this.queuedBytes -= chunk.messages[i]!.bytes;
    }
    this.queue = kept;
    waiter.reject(e);
  }
}
