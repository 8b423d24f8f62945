/** How long ago an answer's computation started, at most, when it is served; READ_STALENESS_MS. */
export const DEFAULT_READ_STALENESS_MS = 500;

interface Held<T> {
  /** When its computation started: it holds every change committed before then. */
  at: number;
  value: T;
  /** How long that computation took: the next one is started that long before this one expires. */
  took: number;
}

interface Flight<T> {
  at: number;
  promise: Promise<T>;
}

/**
 * Answers at most `boundMs` old, recomputed ahead while the last one is served. An answer's
 * age is the time since its computation started, so it holds every change committed more than
 * `boundMs` before it is served: a fold is visible to every read that arrives `boundMs` after
 * its commit. A caller gets the held answer while it is that fresh; once its age passes the
 * point where the next computation must start to be done in time (the bound less twice the
 * last computation's duration), the first caller starts that one in the background. A caller
 * that finds nothing fresh enough joins the computation in flight if that started within the
 * bound, else starts the next: concurrent callers of one question share one computation.
 * With a bound of 0 every call waits for a computation that started after it arrived.
 */
export class BoundedAnswers<T> {
  private readonly held = new Map<string, Held<T>>();
  private readonly flights = new Map<string, Flight<T>>();
  computations = 0;

  constructor(
    readonly boundMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const t = this.now();
    const held = this.held.get(key);
    if (this.boundMs > 0 && held && t - held.at <= this.boundMs) {
      if (t - held.at >= this.boundMs - 2 * held.took && !this.flights.has(key)) {
        // Ahead of time: this caller does not wait for it; a failure leaves the held answer to expire.
        this.start(key, t, compute).catch(() => undefined);
      }
      return Promise.resolve(held.value);
    }
    const flight = this.flights.get(key);
    if (flight && (this.boundMs > 0 ? flight.at >= t - this.boundMs : flight.at > t)) return flight.promise;
    return this.start(key, t, compute);
  }

  private start(key: string, at: number, compute: () => Promise<T>): Promise<T> {
    this.computations++;
    const promise = compute().then(
      (value) => {
        this.hold(key, { at, value, took: this.now() - at });
        if (this.flights.get(key)?.promise === promise) this.flights.delete(key);
        return value;
      },
      (e: unknown) => {
        if (this.flights.get(key)?.promise === promise) this.flights.delete(key);
        throw e;
      },
    );
    this.flights.set(key, { at, promise });
    return promise;
  }

  private hold(key: string, next: Held<T>): void {
    const old = this.held.get(key);
    // A slower computation that started earlier and lands last does not replace a newer one.
    if (old && old.at > next.at) return;
    this.held.delete(key);
    this.held.set(key, next);
    // Held answers are in the order they were computed: those past the bound go from the front.
    const expired = this.now() - this.boundMs;
    for (const [k, h] of this.held) {
      if (h.at >= expired) break;
      this.held.delete(k);
    }
  }

  get size(): number {
    return this.held.size;
  }
}
