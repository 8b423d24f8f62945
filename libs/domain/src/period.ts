/**
 * A billing period: a calendar month in UTC, written YYYY-MM. Branded, so a string reaches the
 * billing code as a period only through `parsePeriod` (text from outside) or `periodOf` (a time).
 */
export type Period = string & { readonly __brand: 'Period' };

// From year 1000: Date.UTC reads years 0-99 as 1900-1999, and Postgres has no year 0.
const PERIOD = /^([1-9]\d{3})-(0[1-9]|1[0-2])$/;

export function isPeriod(text: string): text is Period {
  return PERIOD.test(text);
}

/** The period `text` names, or null when it is not YYYY-MM. */
export function parsePeriod(text: string): Period | null {
  return isPeriod(text) ? text : null;
}

/** [start, end) of the month in epoch ms. */
export function periodBounds(period: Period): { from: number; to: number } {
  const m = PERIOD.exec(period);
  if (!m) throw new RangeError(`not a period (YYYY-MM): '${period}'`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { from: Date.UTC(y, mo, 1), to: Date.UTC(y, mo + 1, 1) };
}

export function periodOf(ms: number): Period {
  return new Date(ms).toISOString().slice(0, 7) as Period;
}

/** The period's first day, as Postgres `date` text. */
export function periodDate(period: Period): string {
  return `${period}-01`;
}
