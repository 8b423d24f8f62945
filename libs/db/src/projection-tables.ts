/** Where a projection store writes: the live tables, or a rebuild's fresh ones. */
export interface ProjectionTables {
  hourly: string;
  resources: string;
  monthly: string;
  /** The fold-maintained rollups per UTC day (absent: not kept, as before they existed; benchmarks compare). */
  daily?: string;
  resourceDays?: string;
  seen: string;
  /** What the fold decided for each correction (applied or refused), once per id. */
  corrections: string;
  /** Live seen keys are kept in daily partitions (dropped after the window); a rebuild's in one scratch table. */
  seenPartitioned: boolean;
}

export const LIVE_TABLES: ProjectionTables = {
  hourly: 'usage_hourly',
  resources: 'usage_resource_hourly',
  monthly: 'usage_monthly',
  daily: 'usage_daily',
  resourceDays: 'usage_resource_day',
  seen: 'seen_events',
  corrections: 'correction_outcomes',
  seenPartitioned: true,
};

/** Injection token for a store on other tables than the live ones. */
export const PROJECTION_TABLES = Symbol('PROJECTION_TABLES');

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function checked(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain table name: '${name}'`);
  return name;
}

/**
 * One statement, one round trip: the hourly projection, its daily and monthly rollups (the
 * monthly is what a period close reads), the per-resource projection and its daily rollup, and
 * the partition's next offset. It runs for every batch, even one with nothing new, so that
 * every batch takes the projection tables' write lock; a rebuild's swap relies on that to hold
 * the live positions still. A batch's rows of one day are summed before they are added, since
 * one statement may not update a row twice.
 *
 * $1-$7 hourly rows, $8-$15 resource rows (column arrays), $16 next offset, $17-$19 position.
 */
export function projectionStatement(t: ProjectionTables): string {
  const hourly = checked(t.hourly);
  const resources = checked(t.resources);
  const monthly = checked(t.monthly);
  const daily = t.daily
    ? `, daily AS (
      INSERT INTO ${checked(t.daily)} AS p (org, day, sku, app, region, quantity, events)
      SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, sum(quantity), sum(events)
        FROM h GROUP BY 1, 2, 3, 4, 5
      ON CONFLICT (org, day, sku, app, region) DO UPDATE
        SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + EXCLUDED.events
    )`
    : '';
  const resourceDays = t.resourceDays
    ? `, resource_days AS (
      INSERT INTO ${checked(t.resourceDays)} AS p (org, day, sku, app, region, resource, quantity, events)
      SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, resource, sum(quantity), sum(events)
        FROM r GROUP BY 1, 2, 3, 4, 5, 6
      ON CONFLICT (org, day, sku, app, region, resource) DO UPDATE
        SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + EXCLUDED.events
    )`
    : '';
  return `
    WITH h AS (
      SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::bigint[])
               AS t(org, hour, sku, app, region, quantity, events)
    ), r AS (
      SELECT * FROM unnest($8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[], $14::numeric[], $15::bigint[])
               AS t(org, hour, sku, app, region, resource, quantity, events)
    ), hourly AS (
      INSERT INTO ${hourly} AS p (org, hour, sku, app, region, quantity, events)
      SELECT * FROM h
      ON CONFLICT (org, hour, sku, app, region) DO UPDATE
        SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + EXCLUDED.events
    ), monthly AS (
      INSERT INTO ${monthly} AS p (period, org, sku, quantity, events)
      SELECT (date_trunc('month', hour AT TIME ZONE 'UTC'))::date, org, sku, sum(quantity), sum(events)
        FROM h GROUP BY 1, 2, 3
      ON CONFLICT (period, org, sku) DO UPDATE
        SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + EXCLUDED.events
    ), resources AS (
      INSERT INTO ${resources} AS p (org, hour, sku, app, region, resource, quantity, events)
      SELECT * FROM r
      ON CONFLICT (org, hour, sku, app, region, resource) DO UPDATE
        SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + EXCLUDED.events
    )${daily}${resourceDays}
    UPDATE consumer_offsets SET next_offset = $16, updated_at = now()
     WHERE consumer_group = $17 AND topic = $18 AND partition = $19`;
}
