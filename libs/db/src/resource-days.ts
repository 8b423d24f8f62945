const DAY_MS = 86_400_000;

/** Whole UTC days worth reading from a daily rollup: fewer and the hourly rows are as cheap. */
const MIN_DAYS = 2;

/** Zones whose days are UTC days: a day or month of a daily rollup is one of theirs. */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);

export const isUtcZone = (tz: string): boolean => UTC_ZONES.has(tz);

export interface DaySpan {
  /** First whole UTC day (its midnight). */
  first: Date;
  /** Midnight after the last whole day. */
  end: Date;
}

/**
 * The whole UTC days of [from, to), or null when there are too few. Today's day counts: the
 * aggregator keeps the daily rollups in the fold's own transaction, so a day is as current as
 * its hours, open or not.
 */
export function wholeDays(from: Date, to: Date): DaySpan | null {
  const first = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  return end - first >= MIN_DAYS * DAY_MS ? { first: new Date(first), end: new Date(end) } : null;
}

/** The days of `span` (their midnights, ascending) inside which one of `cuts` falls other than at midnight. */
export function splitDays(span: DaySpan, cuts: readonly number[]): Date[] {
  const days = new Set<number>();
  for (const t of cuts)
    if (t > span.first.getTime() && t < span.end.getTime() && t % DAY_MS !== 0)
      days.add(Math.floor(t / DAY_MS) * DAY_MS);
  return [...days].sort((a, b) => a - b).map((d) => new Date(d));
}

/** The fold-maintained daily rollup of each hourly projection. */
export const DAY_TABLE = { usage_hourly: 'usage_daily', usage_resource_hourly: 'usage_resource_day' } as const;

/**
 * Rows of a daily rollup in the shape of its hourly projection (hour = the day's midnight), for a
 * FROM clause; `except` (a date[] expression) names days left to the hourly rows.
 */
export function daySource(
  hourly: keyof typeof DAY_TABLE,
  org: string,
  first: string,
  end: string,
  except = `'{}'::date[]`,
): string {
  const resource = hourly === 'usage_resource_hourly' ? ' resource,' : '';
  return `SELECT org, (day::timestamp AT TIME ZONE 'UTC') AS hour, sku, app, region,${resource} quantity, events
            FROM ${DAY_TABLE[hourly]} WHERE org = ${org} AND day >= (${first} AT TIME ZONE 'UTC')::date AND day < (${end} AT TIME ZONE 'UTC')::date
             AND day <> ALL(${except})`;
}

/**
 * Where the rows of an hourly question come from, as a FROM item: whole days of `span` from
 * the daily rollup (but the `split` ones), the hours around them and inside split days from
 * the hourly projection. `p.param` adds a parameter; `org`, `from`, `to` are parameters already.
 */
export function dayAndHourSource(
  hourly: keyof typeof DAY_TABLE,
  span: DaySpan,
  split: readonly Date[],
  p: { param: (v: unknown, type: string) => string; org: string; from: string; to: string },
): string {
  const first = p.param(span.first.toISOString(), 'timestamptz');
  const end = p.param(span.end.toISOString(), 'timestamptz');
  const hours = [`(hour >= ${p.from} AND hour < ${first})`, `(hour >= ${end} AND hour < ${p.to})`];
  for (const d of split)
    hours.push(
      `(hour >= ${p.param(d.toISOString(), 'timestamptz')} AND hour < ${p.param(new Date(d.getTime() + DAY_MS).toISOString(), 'timestamptz')})`,
    );
  const except = p.param(
    split.map((d) => d.toISOString().slice(0, 10)),
    'date[]',
  );
  const resource = hourly === 'usage_resource_hourly' ? ' resource,' : '';
  return `(${daySource(hourly, p.org, first, end, except)}
      UNION ALL
      SELECT org, hour, sku, app, region,${resource} quantity, events FROM ${hourly}
       WHERE org = ${p.org} AND (${hours.join(' OR ')}))`;
}
