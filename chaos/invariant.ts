import type { Pool } from 'pg';
import type { Hosts } from './hosts';

export interface Tally {
  /** Distinct accepted events the check covered. */
  events: number;
  /** Accepted events missing from what was checked. */
  lost: number;
  /** Events counted more than once. */
  doubleCounted: number;
}

/**
 * Every distinct event the hosts had acknowledged is in the hourly projection exactly once:
 * compared per (org, hour, SKU) cell, in events and in seconds.
 */
export async function projectionTally(
  pool: Pool,
  hosts: Pick<Hosts, 'expected'>,
  orgs: readonly string[],
): Promise<Tally> {
  const expected = hosts.expected();
  const { rows } = await pool.query<{ key: string; events: string; quantity: string }>(
    `SELECT org || '|' || to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.000"Z"') || '|' || sku AS key,
            sum(events)::text AS events, sum(quantity)::text AS quantity
       FROM usage_hourly WHERE org = ANY($1) GROUP BY 1`,
    [orgs],
  );
  const got = new Map(rows.map((r) => [r.key, { events: Number(r.events), quantity: Number(r.quantity) }]));
  const tally: Tally = { events: 0, lost: 0, doubleCounted: 0 };
  for (const key of new Set([...expected.keys(), ...got.keys()])) {
    const e = expected.get(key) ?? { events: 0, quantity: 0 };
    const g = got.get(key) ?? { events: 0, quantity: 0 };
    tally.events += e.events;
    // A cell whose seconds disagree with its count is wrong even when the counts match.
    const diff =
      Math.abs(g.quantity - e.quantity) / 60 >= Math.abs(g.events - e.events)
        ? (g.quantity - e.quantity) / 60
        : g.events - e.events;
    if (diff < 0) tally.lost += -diff;
    else tally.doubleCounted += diff;
  }
  return tally;
}

/**
 * For closed periods: the seconds of each (org, month, SKU) in the projections stand in
 * invoice lines (usage and later adjustments, on whichever invoice) exactly once. In events
 * of 60 s each, as the hosts send them.
 */
export async function invoiceTally(pool: Pool, orgs: readonly string[], periods: readonly string[]): Promise<Tally> {
  const { rows } = await pool.query<{ org: string; period: string; sku: string; projected: string; billed: string }>(
    `WITH projected AS (
       SELECT org, to_char(date_trunc('month', hour AT TIME ZONE 'UTC'), 'YYYY-MM') AS period, sku, sum(quantity) AS quantity
         FROM usage_hourly WHERE org = ANY($1) GROUP BY 1, 2, 3),
     billed AS (
       SELECT i.org, to_char(l.usage_period, 'YYYY-MM') AS period, l.sku, sum(l.quantity) AS quantity
         FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
        WHERE i.org = ANY($1) GROUP BY 1, 2, 3)
     SELECT coalesce(p.org, b.org) AS org, coalesce(p.period, b.period) AS period, coalesce(p.sku, b.sku) AS sku,
            coalesce(p.quantity, 0)::text AS projected, coalesce(b.quantity, 0)::text AS billed
       FROM projected p FULL JOIN billed b USING (org, period, sku)
      WHERE coalesce(p.period, b.period) = ANY($2)`,
    [orgs, periods],
  );
  const tally: Tally = { events: 0, lost: 0, doubleCounted: 0 };
  for (const r of rows) {
    const diff = (Number(r.billed) - Number(r.projected)) / 60;
    tally.events += Number(r.projected) / 60;
    if (diff < 0) tally.lost += -diff;
    else tally.doubleCounted += diff;
  }
  return tally;
}

/** Invoice and credit note numbers: gapless from 1 and none repeated. */
export async function numbering(pool: Pool): Promise<{ documents: number; gapless: boolean }> {
  const { rows } = await pool.query<{ seq: string }>(
    'SELECT seq::text FROM invoices UNION ALL SELECT seq::text FROM credit_notes ORDER BY 1',
  );
  const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  return { documents: seqs.length, gapless: seqs.every((s, i) => s === i + 1) };
}

export const sum = (a: Tally, b: Tally): Tally => ({
  events: a.events + b.events,
  lost: a.lost + b.lost,
  doubleCounted: a.doubleCounted + b.doubleCounted,
});
