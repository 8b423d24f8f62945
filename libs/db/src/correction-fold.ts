import type { PoolClient } from 'pg';
import { type Correction, type CorrectionStatus, staysNonNegative } from '@metering/billing';
import { hourOf } from '@metering/metering';
import { checked, ProjectionTables } from './projection-tables';

export type CorrectionOutcome = Exclude<CorrectionStatus, 'pending'> | 'duplicate';

/**
 * Folds one correction in the batch's transaction, after the events before it and before
 * the events after it: reads the resource's hour (row-locked), refuses a correction that
 * would take it below zero, records the outcome once per id (a correction seen before, under
 * any outcome, changes nothing) and, if applied, adds its signed quantity to the hourly,
 * monthly and per-resource projections, as one more event of that hour.
 */
export async function foldCorrection(
  client: Pick<PoolClient, 'query'>,
  tables: ProjectionTables,
  c: Correction,
): Promise<CorrectionOutcome> {
  const resources = checked(tables.resources);
  const hour = new Date(hourOf(c.time)).toISOString();
  const series = [c.org, hour, c.sku, c.app, c.region];
  const { rows } = await client.query<{ quantity: string }>(
    `SELECT quantity::text FROM ${resources}
      WHERE org = $1 AND hour = $2 AND sku = $3 AND app = $4 AND region = $5 AND resource = $6 FOR UPDATE`,
    [...series, c.resource],
  );
  const status = staysNonNegative(rows[0]?.quantity ?? '0', c.quantity) ? 'applied' : 'refused';
  const recorded = await client.query(
    `INSERT INTO ${checked(tables.corrections)} (id, status) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [c.id, status],
  );
  if (recorded.rowCount !== 1) return 'duplicate';
  if (status === 'refused') return status;
  // A reduction finds every row there (its resource's hour holds at least as much), and must
  // not be proposed as a row of its own: an insert's CHECK (quantity >= 0) applies before ON CONFLICT.
  await client.query(c.quantity.startsWith('-') ? reduce(tables) : increase(tables), [
    ...series,
    c.resource,
    c.quantity,
  ]);
  return status;
}

const ADD = 'SET quantity = p.quantity + EXCLUDED.quantity, events = p.events + 1';

function increase(t: ProjectionTables): string {
  return `WITH hourly AS (
       INSERT INTO ${checked(t.hourly)} AS p (org, hour, sku, app, region, quantity, events)
       VALUES ($1, $2, $3, $4, $5, $7, 1)
       ON CONFLICT (org, hour, sku, app, region) DO UPDATE ${ADD}
     ), monthly AS (
       INSERT INTO ${checked(t.monthly)} AS p (period, org, sku, quantity, events)
       VALUES ((date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'))::date, $1, $3, $7, 1)
       ON CONFLICT (period, org, sku) DO UPDATE ${ADD}
     )${increaseRollups(t)}
     INSERT INTO ${checked(t.resources)} AS p (org, hour, sku, app, region, resource, quantity, events)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
     ON CONFLICT (org, hour, sku, app, region, resource) DO UPDATE ${ADD}`;
}

function reduce(t: ProjectionTables): string {
  const set = 'SET quantity = quantity + $7::numeric, events = events + 1';
  return `WITH hourly AS (
       UPDATE ${checked(t.hourly)} ${set} WHERE org = $1 AND hour = $2 AND sku = $3 AND app = $4 AND region = $5
     ), monthly AS (
       UPDATE ${checked(t.monthly)} ${set}
        WHERE period = (date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'))::date AND org = $1 AND sku = $3
     )${reduceRollups(t, set)}
     UPDATE ${checked(t.resources)} ${set}
      WHERE org = $1 AND hour = $2 AND sku = $3 AND app = $4 AND region = $5 AND resource = $6`;
}

/** The fold's daily rollups (when these tables keep them) take the correction like the hours do. */
const DAY = `($2::timestamptz AT TIME ZONE 'UTC')::date`;

function increaseRollups(t: ProjectionTables): string {
  const daily = t.daily
    ? `, daily AS (
       INSERT INTO ${checked(t.daily)} AS p (org, day, sku, app, region, quantity, events)
       VALUES ($1, ${DAY}, $3, $4, $5, $7, 1)
       ON CONFLICT (org, day, sku, app, region) DO UPDATE ${ADD}
     )`
    : '';
  const resourceDays = t.resourceDays
    ? `, resource_days AS (
       INSERT INTO ${checked(t.resourceDays)} AS p (org, day, sku, app, region, resource, quantity, events)
       VALUES ($1, ${DAY}, $3, $4, $5, $6, $7, 1)
       ON CONFLICT (org, day, sku, app, region, resource) DO UPDATE ${ADD}
     )`
    : '';
  return daily + resourceDays;
}

function reduceRollups(t: ProjectionTables, set: string): string {
  const daily = t.daily
    ? `, daily AS (
       UPDATE ${checked(t.daily)} ${set} WHERE org = $1 AND day = ${DAY} AND sku = $3 AND app = $4 AND region = $5
     )`
    : '';
  const resourceDays = t.resourceDays
    ? `, resource_days AS (
       UPDATE ${checked(t.resourceDays)} ${set}
        WHERE org = $1 AND day = ${DAY} AND sku = $3 AND app = $4 AND region = $5 AND resource = $6
     )`
    : '';
  return daily + resourceDays;
}
