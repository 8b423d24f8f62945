/** A billing period: a calendar month in UTC, written YYYY-MM. */
export type Period = string;

// From year 1000: Date.UTC reads years 0-99 as 1900-1999, and Postgres has no year 0.
const PERIOD = /^([1-9]\d{3})-(0[1-9]|1[0-2])$/;

export function isPeriod(text: string): boolean {
  return PERIOD.test(text);
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
  return new Date(ms).toISOString().slice(0, 7);
}

/** The period's first day, as Postgres `date` text. */
export function periodDate(period: Period): string {
  return `${period}-01`;
}
