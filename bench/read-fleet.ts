import { Client } from 'pg';

export const READ_ORG = 'fleet-10k';
/** BENCH_READ_MACHINES: a smaller fleet for a quick look; the goals are about 10,000. */
export const MACHINES = Number(process.env['BENCH_READ_MACHINES'] ?? 10_000);
export const VOLUMES = 2_000;
export const REGIONS = ['ord', 'fra', 'sin', 'gru', 'syd', 'jnb'];
export const APPS = ['web', 'worker', 'db'];
export const SIZES = ['shared-cpu-1x', 'shared-cpu-2x', 'performance-1x', 'performance-2x'];

export interface BuiltFleet {
  resourceRows: number;
  hourlyRows: number;
  seconds: number;
}

/**
 * One organization's month as the aggregator would have written it, made in SQL: 10,000
 * machines (four sizes) and 2,000 volumes over six regions on six continents and three apps.
 * A quarter of the machines scale down at night (their hours between 22:00 and 07:00 UTC are
 * absent), with a per-machine, per-hour varying runtime. The per-resource projection is
 * loaded with its primary key dropped and rebuilt after (a sorted build, minutes faster than
 * maintaining it row by row); the hourly projection and the monthly rollup are its sums.
 * Written day by day, so rows lie on disk in time order as the aggregator leaves them.
 */
export async function buildReadFleet(url: string, from: Date, to: Date): Promise<BuiltFleet> {
  const started = Date.now();
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`INSERT INTO organizations (slug, name) VALUES ($1, 'Fleet of 10,000')`, [READ_ORG]);
    await c.query('ALTER TABLE usage_resource_hourly DROP CONSTRAINT usage_resource_hourly_pkey');
    await c.query(
      `CREATE TEMP TABLE fleet AS
       SELECT i, 'm_' || lpad(i::text, 5, '0') AS resource, ($1::text[])[1 + i % 6] AS region, ($2::text[])[1 + (i / 6) % 3] AS app,
              'machine.runtime/' || ($3::text[])[1 + (i / 18) % 4] AS sku, i % 4 = 0 AS scaled
         FROM generate_series(0, $4::int - 1) i
       UNION ALL
       SELECT $4 + i, 'vol_' || lpad(i::text, 4, '0'), ($1::text[])[1 + i % 6], ($2::text[])[1 + (i / 6) % 3], 'volume.storage', false
         FROM generate_series(0, $5::int - 1) i`,
      [REGIONS, APPS, SIZES, MACHINES, VOLUMES],
    );
    // Day after day, as the aggregator writes them: a day's rows lie together on disk, as
    // they do in a real projection (one statement for the month would lay them out machine
    // by machine, and every day's read would touch the whole table).
    let resourceRows = 0;
    for (let day = from.getTime(); day < to.getTime(); day += 86_400_000) {
      const inserted = await c.query(
        `INSERT INTO usage_resource_hourly (org, hour, sku, app, region, resource, quantity, events)
         SELECT $1, h, f.sku, f.app, f.region, f.resource,
                CASE WHEN f.sku = 'volume.storage' THEN (10 + (f.i % 50) * 10) * 3600
                     WHEN f.scaled THEN 600 + (f.i * 7919 + extract(epoch FROM h)::bigint / 3600 * 104729) % 3000
                     ELSE 3600 END,
                60
           FROM generate_series($2::timestamptz, $2::timestamptz + interval '23 hours', interval '1 hour') h, fleet f
          WHERE NOT f.scaled OR extract(hour FROM h AT TIME ZONE 'UTC') BETWEEN 7 AND 21`,
        [READ_ORG, new Date(day)],
      );
      resourceRows += inserted.rowCount ?? 0;
    }
    await c.query('ALTER TABLE usage_resource_hourly ADD PRIMARY KEY (org, hour, sku, app, region, resource)');
    const hourly = await c.query(
      `INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
       SELECT org, hour, sku, app, region, sum(quantity), sum(events) FROM usage_resource_hourly GROUP BY 1, 2, 3, 4, 5`,
    );
    await c.query(
      `INSERT INTO usage_monthly (period, org, sku, quantity, events)
       SELECT (date_trunc('month', hour AT TIME ZONE 'UTC'))::date, org, sku, sum(quantity), sum(events) FROM usage_hourly GROUP BY 1, 2, 3`,
    );
    // The daily rollups the aggregator keeps in the same transaction.
    await c.query(
      `INSERT INTO usage_daily (org, day, sku, app, region, quantity, events)
       SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, sum(quantity), sum(events) FROM usage_hourly GROUP BY 1, 2, 3, 4, 5`,
    );
    await c.query(
      `INSERT INTO usage_resource_day (org, day, sku, app, region, resource, quantity, events)
       SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, resource, sum(quantity), sum(events)
         FROM usage_resource_hourly GROUP BY 1, 2, 3, 4, 5, 6`,
    );
    // A stored aggregator position, which the benchmark moves to stand for a fold.
    await c.query(
      `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES ('bench-read', 'usage.events.v1', 0, 1)`,
    );
    await c.query('VACUUM ANALYZE usage_resource_hourly');
    await c.query('VACUUM ANALYZE usage_hourly');
    await c.query('VACUUM ANALYZE usage_monthly');
    await c.query('VACUUM ANALYZE usage_daily');
    await c.query('VACUUM ANALYZE usage_resource_day');
    return { resourceRows, hourlyRows: hourly.rowCount ?? 0, seconds: (Date.now() - started) / 1000 };
  } finally {
    await c.end();
  }
}

/**
 * What the aggregator's commit of a late event of this organization's month does: one more
 * minute of a machine, added to the per-resource, hourly, daily and monthly rows in one statement,
 * and the stored position moved. Every answer about that month is stale after it.
 */
export async function simulateFold(url: string, hour: Date): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `WITH r AS (
         UPDATE usage_resource_hourly SET quantity = quantity + 60, events = events + 1
          WHERE org = $1 AND hour = $2 AND resource = 'm_00001' RETURNING sku, app, region
       ), h AS (
         UPDATE usage_hourly u SET quantity = u.quantity + 60, events = u.events + 1 FROM r
          WHERE u.org = $1 AND u.hour = $2 AND u.sku = r.sku AND u.app = r.app AND u.region = r.region
       ), m AS (
         UPDATE usage_monthly m SET quantity = m.quantity + 60, events = m.events + 1 FROM r
          WHERE m.org = $1 AND m.period = (date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'))::date AND m.sku = r.sku
       ), d AS (
         UPDATE usage_daily d SET quantity = d.quantity + 60, events = d.events + 1 FROM r
          WHERE d.org = $1 AND d.day = ($2::timestamptz AT TIME ZONE 'UTC')::date AND d.sku = r.sku AND d.app = r.app AND d.region = r.region
       ), rd AS (
         UPDATE usage_resource_day d SET quantity = d.quantity + 60, events = d.events + 1
          WHERE d.org = $1 AND d.day = ($2::timestamptz AT TIME ZONE 'UTC')::date AND d.resource = 'm_00001'
       )
       UPDATE consumer_offsets SET next_offset = next_offset + 1, updated_at = now() WHERE consumer_group = 'bench-read'`,
      [READ_ORG, hour],
    );
  } finally {
    await c.end();
  }
}

/** The contract's tiers on each machine SKU: a free allowance, then list price, then 20% off. */
// Scaled with a smaller fleet, so that its month crosses the tiers too.
const TIER_SCALE = MACHINES / 10_000;
export const CONTRACT_TIERS = {
  free: String(Math.round(100_000_000 * TIER_SCALE)),
  list: String(Math.round(2_000_000_000 * TIER_SCALE)),
  discount: 0.8,
};
export const CREDIT_GRANT = '500.00';

/**
 * The open month so far for the organization, and its commercial terms, for `usage/current`:
 * the hourly projection of the same hours of the month before, shifted by a month up to the
 * current hour, its daily and monthly rollups (what `usage/current` reads), and the per-resource
 * days before today (the per-resource hours are not built: no measured read of the month touches
 * them; the live folds of the benchmark write today's). A graduated contract price on
 * each machine SKU from the month's first hour (a free first tier, the list price, then 20% off)
 * and a credit grant, inserted as the owner. Answers the hourly rows written.
 */
export async function addOpenMonth(url: string, lastFrom: Date, openFrom: Date, now: Date): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const hourly = await c.query(
      `INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
       SELECT org, hour + ($3::timestamptz - $2::timestamptz), sku, app, region, quantity, events FROM usage_hourly
        WHERE org = $1 AND hour >= $2 AND hour < $2::timestamptz + ($4::timestamptz - $3::timestamptz)`,
      [READ_ORG, lastFrom, openFrom, new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000)],
    );
    await c.query(
      `INSERT INTO usage_monthly (period, org, sku, quantity, events)
       SELECT $2::date, org, sku, sum(quantity), sum(events) FROM usage_hourly WHERE org = $1 AND hour >= $2 GROUP BY org, sku`,
      [READ_ORG, openFrom],
    );
    await c.query(
      `INSERT INTO usage_daily (org, day, sku, app, region, quantity, events)
       SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, sum(quantity), sum(events)
         FROM usage_hourly WHERE org = $1 AND hour >= $2 GROUP BY 1, 2, 3, 4, 5`,
      [READ_ORG, openFrom],
    );
    // Whole days of resources the same way (the dashboard's top resources of this month); today's
    // resources are what the live folds of the benchmark write.
    await c.query(
      `INSERT INTO usage_resource_day (org, day, sku, app, region, resource, quantity, events)
       SELECT org, day + ($3::date - $2::date), sku, app, region, resource, quantity, events FROM usage_resource_day
        WHERE org = $1 AND day >= $2::date AND day < $2::date + ($4::date - $3::date)`,
      [READ_ORG, lastFrom, openFrom, now],
    );
    await c.query(
      `INSERT INTO prices (sku, org, unit, tiers, tier_mode, effective_from, created_by)
       SELECT sku, $1, unit, jsonb_build_array(
                jsonb_build_object('up_to', $3::text, 'unit_price', '0'),
                jsonb_build_object('up_to', $4::text, 'unit_price', unit_price::text),
                jsonb_build_object('up_to', null, 'unit_price', round(unit_price * $5, 12)::text)),
              'graduated', $2, 'bench'
         FROM prices WHERE org IS NULL AND sku = ANY($6::text[])`,
      [
        READ_ORG,
        openFrom,
        CONTRACT_TIERS.free,
        CONTRACT_TIERS.list,
        CONTRACT_TIERS.discount,
        SIZES.map((s) => `machine.runtime/${s}`),
      ],
    );
    await c.query(
      `INSERT INTO credit_grants (org, amount, reason, granted_at, created_by)
       VALUES ($1, $2, 'bench: service credit', $3::timestamptz - interval '1 day', 'bench')`,
      [READ_ORG, CREDIT_GRANT, now],
    );
    await c.query('ANALYZE usage_hourly, usage_monthly, usage_daily, usage_resource_day, prices, credit_grants');
    return hourly.rowCount ?? 0;
  } finally {
    await c.end();
  }
}
