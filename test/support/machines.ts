import type { Pool } from 'pg';
import { withTransaction } from '@metering/db';

const HOUR = 3_600_000;

export interface SeededFleet {
  /** Every resource id, ascending. */
  resources: string[];
  /** The first hour seeded and the hour after the last. */
  from: Date;
  to: Date;
}

/** The id of machine i: `m_` and six hex digits, all distinct (2654435761 is odd, so i ↦ i·k mod 2²⁴ is one to one). */
export const machineId = (i: number): string => `m_${((i * 2654435761) % 16_777_216).toString(16).padStart(6, '0')}`;

const REGIONS = ['ord', 'iad', 'sjc', 'fra', 'ams', 'lhr', 'nrt', 'sin', 'gru', 'syd', 'jnb', 'bom'];
const APPS = ['web', 'api', 'worker', 'db', 'ml'];
const SIZES = ['shared-cpu-1x', 'shared-cpu-2x', 'performance-1x', 'performance-4x'];

/**
 * A fleet of `machines` written straight into the projections, as the fold would have left
 * them (the per-resource rows, then the hourly, monthly and daily rollups summed from them): what a
 * month of folding 10,000 machines makes in seconds instead of minutes. Machine i runs in
 * REGIONS[i % 12] for app APPS[i % 5], size SIZES[i % 4], 3,600 s an hour for the last `hours`
 * hours before `endHour` (exclusive), and every 4th also sends egress (i·1000 bytes an hour).
 * The organization must exist; the fixtures are written as the tables' owner.
 */
export async function seedMachines(
  pool: Pool,
  org: string,
  o: { machines: number; hours: number; endHour: number },
): Promise<SeededFleet> {
  const from = new Date(o.endHour - o.hours * HOUR);
  const to = new Date(o.endHour);
  await withTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO usage_resource_hourly (org, hour, sku, app, region, resource, quantity, events)
       SELECT $1, h, s.sku, ($5::text[])[1 + i % 5], ($4::text[])[1 + i % 12],
              'm_' || lpad(to_hex(((i::bigint * 2654435761) % 16777216)::int), 6, '0'), s.quantity, 1
         FROM generate_series(0, $6::int - 1) AS i,
              generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') AS h,
              LATERAL (SELECT 'machine.runtime/' || ($7::text[])[1 + i % 4] AS sku, 3600::numeric AS quantity
                       UNION ALL
                       SELECT 'network.egress/' || CASE WHEN i % 12 < 3 THEN 'na' WHEN i % 12 < 6 THEN 'eu'
                                                        WHEN i % 12 < 8 THEN 'apac' WHEN i % 12 = 8 THEN 'sa'
                                                        WHEN i % 12 = 9 THEN 'apac' WHEN i % 12 = 10 THEN 'af' ELSE 'in' END,
                              (i * 1000)::numeric
                        WHERE i % 4 = 0 AND i > 0) s`,
      [org, from, to, REGIONS, APPS, o.machines, SIZES],
    );
    await client.query(
      `INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
       SELECT org, hour, sku, app, region, sum(quantity), sum(events) FROM usage_resource_hourly
        WHERE org = $1 GROUP BY org, hour, sku, app, region
       ON CONFLICT (org, hour, sku, app, region) DO UPDATE
         SET quantity = EXCLUDED.quantity, events = EXCLUDED.events`,
      [org],
    );
    await client.query(
      `INSERT INTO usage_monthly (period, org, sku, quantity, events)
       SELECT (date_trunc('month', hour AT TIME ZONE 'UTC'))::date, org, sku, sum(quantity), sum(events)
         FROM usage_resource_hourly WHERE org = $1 GROUP BY 1, 2, 3
       ON CONFLICT (period, org, sku) DO UPDATE SET quantity = EXCLUDED.quantity, events = EXCLUDED.events`,
      [org],
    );
    // The fold's daily rollups (per resource and day, per day), which the reads of whole UTC days use.
    await client.query(
      `INSERT INTO usage_resource_day (org, day, sku, app, region, resource, quantity, events)
       SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, resource, sum(quantity), sum(events)
         FROM usage_resource_hourly WHERE org = $1 GROUP BY 1, 2, 3, 4, 5, 6
       ON CONFLICT (org, day, sku, app, region, resource) DO UPDATE
         SET quantity = EXCLUDED.quantity, events = EXCLUDED.events`,
      [org],
    );
    await client.query(
      `INSERT INTO usage_daily (org, day, sku, app, region, quantity, events)
       SELECT org, (hour AT TIME ZONE 'UTC')::date, sku, app, region, sum(quantity), sum(events)
         FROM usage_hourly WHERE org = $1 GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT (org, day, sku, app, region) DO UPDATE SET quantity = EXCLUDED.quantity, events = EXCLUDED.events`,
      [org],
    );
  });
  await pool.query('ANALYZE usage_resource_hourly, usage_hourly, usage_resource_day, usage_daily');
  const resources = Array.from({ length: o.machines }, (_, i) => machineId(i)).sort();
  return { resources, from, to };
}
