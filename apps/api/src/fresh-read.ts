/**
 * One query answering many concurrent callers, never with a value older than the call. A read
 * already in flight when a call arrives may have started before a change the caller has seen
 * (its own fold, say), so the call does not join it: it waits for the next read, which starts
 * as soon as that one ends and serves every call that arrived meanwhile. Under load that is
 * one query per round trip instead of one per request, for at most one round trip of waiting.
 */
export class FreshRead<T> {
  private inFlight: Promise<T> | null = null;
  private queued: Promise<T> | null = null;
  reads = 0;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.inFlight) return this.start();
    this.queued ??= this.inFlight.then(
      () => this.next(),
      () => this.next(),
    );
    return this.queued;
  }

  private next(): Promise<T> {
    this.queued = null;
    return this.start();
  }

  private start(): Promise<T> {
    this.reads++;
    const p = this.read();
    this.inFlight = p;
    const clear = () => {
      if (this.inFlight === p) this.inFlight = null;
    };
    p.then(clear, clear);
    return p;
  }
}
