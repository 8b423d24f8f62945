/** Requests per second a token may make, and how many it may make at once after a pause. */
export interface Rate {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 100_000;

export const RATE_LIMITS = Symbol('RATE_LIMITS');

/**
 * Token buckets per caller, in this process. Each service instance limits on its own: with N
 * instances behind a balancer a token may make up to N times the rate, which is fine for
 * what this is for (one runaway client must not starve the others), not a billing quota.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one request from `key`'s bucket: 0 when allowed, else the seconds to wait. */
  take(key: string, rate: Rate): number {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: rate.burst, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rate.burst, b.tokens + ((t - b.at) / 1000) * rate.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / rate.perSecond;
  }
}
