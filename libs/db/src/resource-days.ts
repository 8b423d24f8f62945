import type { Pool } from 'pg';
import type { OrgId } from '@metering/domain';

const DAY_MS = 86_400_000;

/** Whole UTC days worth reading from the daily rollup: fewer and the hourly rows are as cheap. */
const MIN_DAYS = 2;
const ANALYZE_AFTER_DAYS = 7;

export interface DaySpan {
  /** First whole UTC day (its midnight). */
  first: Date;
  /** Midnight after the last whole day; never later than today's midnight (today is still open). */
  end: Date;
}

/**
 * The whole UTC days of [from, to) that have ended, or null when there are too few. Today is
 * left to the hourly rows: it changes with every fold, so its day would be rebuilt every time.
 */
export function closedDays(from: Date, to: Date, now: number): DaySpan | null {
  const first = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.min(Math.floor(to.getTime() / DAY_MS) * DAY_MS, Math.floor(now / DAY_MS) * DAY_MS);
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

/**
 * usage_resource_daily, kept in step with the per-resource projection. One statement finds the
 * days whose fingerprint changed since they were built (or that were never built) and rebuilds
 * exactly those, each from its own hours; refreshes of one organization take turns (an
 * advisory lock), so two never build the same day twice.
 */
export class ResourceDays {
  constructor(private readonly pool: Pool) {}

  /** Rebuilds the stale days of [first, end); returns how many were rebuilt. */
  async refresh(org: OrgId, span: DaySpan): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // The planner's estimate for the rebuild is huge even when nothing is stale, and would
      // have the server compile the statement to machine code first: ~0.4 s for nothing.
      await client.query('SET LOCAL jit = off');
      // A day of 10,000 machines is ~12,000 groups from ~265,000 rows: hashed in memory in a
      // fraction of the time a sort of them takes, which is what 4 MB would make the planner do.
      await client.query(`SET LOCAL work_mem = '64MB'`);
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('usage_resource_daily'), hashtext($1))`, [org]);
      const { rowCount } = await client.query(REFRESH, [org, span.first, span.end]);
      await client.query('COMMIT');
      // Without fresh statistics after a large build the planner takes the table for empty and
      // sorts a month of rows instead of hashing them (~0.5 s against ~0.1 s). Only the
      // table's owner may analyze it: a function of the owner's does it for the services' role.
      if ((rowCount ?? 0) >= ANALYZE_AFTER_DAYS) await client.query('SELECT analyze_resource_daily()');
      return rowCount ?? 0;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /**
   * Rows of the rollup in the shape of the hourly projection (hour = the day's midnight), for a
   * FROM clause; `except` (a date[] expression) names days left to the hourly rows.
   */
  static source(org: string, first: string, end: string, except = `'{}'::date[]`): string {
    return `SELECT org, (day::timestamp AT TIME ZONE 'UTC') AS hour, sku, app, region, resource, quantity
              FROM usage_resource_daily WHERE org = ${org} AND day >= (${first} AT TIME ZONE 'UTC')::date AND day < (${end} AT TIME ZONE 'UTC')::date
               AND day <> ALL(${except})`;
  }
}

// $1 org, $2 first midnight, $3 end midnight.
const REFRESH = `
  WITH fp AS (
    SELECT (hour AT TIME ZONE 'UTC')::date AS day,
           concat_ws(':', sum(events), sum(quantity), 'usage_resource_hourly'::regclass::oid) AS fingerprint
      FROM usage_hourly WHERE org = $1::text AND hour >= $2::timestamptz AND hour < $3::timestamptz
     GROUP BY 1
  ), stale AS (
    SELECT fp.day, fp.fingerprint
      FROM fp LEFT JOIN usage_resource_daily_built b ON b.org = $1::text AND b.day = fp.day
     WHERE b.fingerprint IS DISTINCT FROM fp.fingerprint
    UNION ALL
    -- Built days that have no usage any more (a rebuild of the projections emptied them).
    SELECT b.day, '' FROM usage_resource_daily_built b
     WHERE b.org = $1::text AND b.day >= ($2::timestamptz AT TIME ZONE 'UTC')::date AND b.day < ($3::timestamptz AT TIME ZONE 'UTC')::date
       AND b.fingerprint <> '' AND NOT EXISTS (SELECT 1 FROM fp WHERE fp.day = b.day)
  ), gone AS (
    DELETE FROM usage_resource_daily d USING stale s WHERE d.org = $1::text AND d.day = s.day
  ), fresh AS (
    INSERT INTO usage_resource_daily (org, day, sku, app, region, resource, quantity, events)
    SELECT $1::text, s.day, u.sku, u.app, u.region, u.resource, u.quantity, u.events
      FROM stale s
     CROSS JOIN LATERAL (
       -- Summed day by day: one day's resources fit in memory, a month's would spill to disk.
       SELECT sku, app, region, resource, sum(quantity) AS quantity, sum(events) AS events FROM usage_resource_hourly
        WHERE org = $1::text AND hour >= (s.day::timestamp AT TIME ZONE 'UTC') AND hour < ((s.day + 1)::timestamp AT TIME ZONE 'UTC')
        GROUP BY 1, 2, 3, 4
     ) u
  )
  INSERT INTO usage_resource_daily_built (org, day, fingerprint)
  SELECT $1::text, day, fingerprint FROM stale
  ON CONFLICT (org, day) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, built_at = now()`;
