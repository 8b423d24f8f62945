import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('given a burst, then that many pass at once and the next waits for its share of a second', () => {
    let t = 0;
    const limiter = new RateLimiter(() => t);
    const rate = { perSecond: 10, burst: 3 };
    expect([1, 2, 3].map(() => limiter.take('a', rate))).toEqual([0, 0, 0]);
    expect(limiter.take('a', rate)).toBeCloseTo(0.1);
    t += 100;
    expect(limiter.take('a', rate)).toBe(0);
    expect(limiter.take('b', rate)).toBe(0); // each caller has its own bucket
  });

  it('given a long pause, then the bucket refills to the burst and no further', () => {
    let t = 0;
    const limiter = new RateLimiter(() => t);
    const rate = { perSecond: 5, burst: 2 };
    limiter.take('a', rate);
    limiter.take('a', rate);
    t += 60_000;
    expect([1, 2, 3].map(() => limiter.take('a', rate) === 0)).toEqual([true, true, false]);
  });
});
