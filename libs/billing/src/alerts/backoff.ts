/** The first retry waits up to this long; each later one up to twice the one before. */
export const RETRY_BASE_MS = 10_000;
/** No wait grows past an hour. */
export const RETRY_CAP_MS = 3_600_000;
/** A delivery not answered with a 2xx this long after its firing is marked failed. */
export const DELIVERY_GIVE_UP_MS = 24 * 3_600_000;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  giveUpMs?: number;
}

/**
 * The wait before retry `attempt` (1 = the first retry): "full jitter", a uniform draw in
 * [0, min(cap, base * 2^(attempt-1))], so that many receivers coming back at once are not hit
 * by every sender in the same second. `random` in [0, 1).
 */
export function retryDelayMs(attempt: number, random: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? RETRY_BASE_MS;
  const cap = opts.capMs ?? RETRY_CAP_MS;
  const ceiling = Math.min(cap, base * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.floor(random * ceiling);
}

/**
 * When to try a delivery again after `attempts` failed attempts, or null when it is to be
 * marked failed: the next attempt would come later than `giveUpMs` after it was created.
 */
export function nextAttemptAt(
  createdAt: number,
  attempts: number,
  now: number,
  random: number,
  opts: BackoffOptions = {},
): number | null {
  const at = now + retryDelayMs(attempts, random, opts);
  return at - createdAt > (opts.giveUpMs ?? DELIVERY_GIVE_UP_MS) ? null : at;
}
