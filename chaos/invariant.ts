import type { Pool } from 'pg';
import { priceMonth, Terms } from '@metering/billing';
import { BillingRepository, TermsRepository } from '@metering/db';
import { Dec, OrgId, Period } from '@metering/domain';
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

/** Seconds per `org|YYYY-MM|sku` of everything the hosts had accepted. */
export function acceptedByMonth(hosts: Pick<Hosts, 'expected'>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, cell] of hosts.expected()) {
    const [org, hour, sku] = key.split('|') as [string, string, string];
    const k = `${org}|${hour.slice(0, 7)}|${sku}`;
    out.set(k, (out.get(k) ?? 0) + cell.quantity);
  }
  return out;
}

export interface TermsTally {
  /**
   * Per (org, closed month, SKU), the quantities of its usage and adjustment lines over all
   * invoices against the seconds the hosts had accepted, in events of 60 s.
   */
  lines: Tally;
  /** (org, month, SKU, unit price) keys and minimums compared with pricing the month at once. */
  keys: number;
  /** Keys whose quantity or amount over all invoices differs from pricing the month's final usage at once. */
  repriced: string[];
  /** Credit and total faults: a credit beyond the grants or not matching its movements, a negative total, a total not Σ lines. */
  credits: string[];
  /** Σ credit lines (USD, positive) and Σ grants of these organizations. */
  credited: string;
  granted: string;
}

const MINIMUM = 'minimum';

/**
 * The billing invariant under commercial terms, for closed months: each accepted second stands in
 * exactly one usage or adjustment line (the lines' per-SKU quantities over all invoices equal the
 * month's accepted usage), and the month's lines over all invoices, per (SKU, unit price) and its
 * minimum, equal pricing its final usage at once with the pure pricing of libs/billing (the
 * terms as the database holds them, usage as the close reads it), to the cent. Credits: what the
 * credit lines take never exceeds the grants and equals the movements the closes recorded, and
 * no invoice total is negative or differs from Σ its lines. These scenarios void nothing, so the
 * invoices alone are what was billed.
 */
export async function termsTally(
  pool: Pool,
  accepted: Map<string, number>,
  orgs: readonly string[],
  periods: readonly Period[],
): Promise<TermsTally> {
  const terms = new Terms(await new TermsRepository(pool).snapshotAllOrgs());
  const billing = new BillingRepository(pool);
  const expected = new Map<string, { quantity: Dec; amount: Dec }>();
  const put = (m: typeof expected, k: string, quantity: Dec, amount: Dec) => {
    const prev = m.get(k);
    m.set(k, { quantity: (prev?.quantity ?? Dec.ZERO).add(quantity), amount: (prev?.amount ?? Dec.ZERO).add(amount) });
  };
  for (const org of orgs)
    for (const period of periods) {
      const usage = await billing.usageSegments(org as OrgId, period, terms, pool);
      for (const l of priceMonth(org as OrgId, period, usage, terms))
        put(
          expected,
          l.kind === 'minimum'
            ? `${org}|${period}|${MINIMUM}`
            : `${org}|${period}|${l.sku}|${Dec.of(l.unit_price!).toString()}`,
          l.quantity === null ? Dec.ZERO : Dec.of(l.quantity),
          Dec.of(l.amount),
        );
    }
  const { rows } = await pool.query<{
    org: string;
    period: Period;
    kind: string;
    sku: string | null;
    unit_price: string | null;
    quantity: string | null;
    amount: string;
  }>(
    `SELECT i.org, to_char(l.usage_period, 'YYYY-MM') AS period, l.kind, l.sku, l.unit_price::text, l.quantity::text, l.amount::text
       FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
      WHERE i.org = ANY($1) AND to_char(l.usage_period, 'YYYY-MM') = ANY($2) AND l.kind <> 'credit'`,
    [orgs, periods],
  );
  const billed = new Map<string, { quantity: Dec; amount: Dec }>();
  const perSku = new Map<string, number>();
  for (const r of rows) {
    if (r.kind === MINIMUM) {
      put(billed, `${r.org}|${r.period}|${MINIMUM}`, Dec.ZERO, Dec.of(r.amount));
      continue;
    }
    put(
      billed,
      `${r.org}|${r.period}|${r.sku}|${Dec.of(r.unit_price!).toString()}`,
      Dec.of(r.quantity!),
      Dec.of(r.amount),
    );
    const k = `${r.org}|${r.period}|${r.sku}`;
    perSku.set(k, (perSku.get(k) ?? 0) + Number(r.quantity));
  }
  const repriced: string[] = [];
  const keys = new Set([...expected.keys(), ...billed.keys()]);
  for (const k of keys) {
    const e = expected.get(k) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
    const b = billed.get(k) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
    if (e.quantity.cmp(b.quantity) !== 0 || e.amount.cmp(b.amount) !== 0)
      repriced.push(
        `${k}: billed ${b.quantity.toString()} for ${b.amount.toFixed(2)}, priced at once ${e.quantity.toString()} for ${e.amount.toFixed(2)}`,
      );
  }
  const lines: Tally = { events: 0, lost: 0, doubleCounted: 0 };
  const wanted = new Set(orgs);
  const inScope = (k: string) => {
    const [org, period] = k.split('|') as [string, Period];
    return wanted.has(org) && periods.includes(period);
  };
  for (const k of new Set([...[...accepted.keys()].filter(inScope), ...perSku.keys()])) {
    const a = accepted.get(k) ?? 0;
    const diff = ((perSku.get(k) ?? 0) - a) / 60;
    lines.events += a / 60;
    if (diff < 0) lines.lost += -diff;
    else lines.doubleCounted += diff;
  }

  const credits: string[] = [];
  const invoices = await pool.query<{
    number: string;
    org: string;
    total: string;
    lines: string;
    credited: string;
    drawn: string;
  }>(
    `SELECT i.number, i.org, i.total::text,
            (SELECT coalesce(sum(amount), 0) FROM invoice_lines WHERE invoice_number = i.number)::text AS lines,
            (SELECT coalesce(-sum(amount), 0) FROM invoice_lines WHERE invoice_number = i.number AND kind = 'credit')::text AS credited,
            (SELECT coalesce(sum(amount), 0) FROM credit_movements WHERE invoice_number = i.number AND kind = 'applied')::text AS drawn
       FROM invoices i WHERE i.org = ANY($1) ORDER BY i.seq`,
    [orgs],
  );
  const creditedBy = new Map<string, Dec>();
  for (const i of invoices.rows) {
    if (Dec.of(i.total).cmp(Dec.ZERO) < 0) credits.push(`${i.number} (${i.org}) totals ${i.total}`);
    if (Dec.of(i.total).cmp(Dec.of(i.lines)) !== 0) credits.push(`${i.number} totals ${i.total}, its lines ${i.lines}`);
    if (Dec.of(i.credited).cmp(Dec.of(i.drawn)) !== 0)
      credits.push(`${i.number}: credit lines ${i.credited}, drawn from grants ${i.drawn}`);
    if (Dec.of(i.credited).cmp(Dec.ZERO) < 0)
      credits.push(`${i.number}: credit lines add up to a charge of ${i.credited}`);
    creditedBy.set(i.org, (creditedBy.get(i.org) ?? Dec.ZERO).add(Dec.of(i.credited)));
  }
  const grants = await pool.query<{ org: string; granted: string; remaining: string; overdrawn: number }>(
    `SELECT org, sum(amount)::text AS granted, sum(remaining)::text AS remaining, count(*) FILTER (WHERE remaining < 0)::int AS overdrawn
       FROM credit_balances WHERE org = ANY($1) GROUP BY org`,
    [orgs],
  );
  let granted = Dec.ZERO;
  for (const g of grants.rows) {
    granted = granted.add(Dec.of(g.granted));
    const used = creditedBy.get(g.org) ?? Dec.ZERO;
    if (used.cmp(Dec.of(g.granted)) > 0)
      credits.push(`${g.org}: credit lines take ${used.toFixed(2)} of grants of ${g.granted}`);
    if (g.overdrawn > 0) credits.push(`${g.org}: ${g.overdrawn} grants with less than nothing remaining`);
  }
  for (const [org, used] of creditedBy)
    if (!used.isZero() && !grants.rows.some((g) => g.org === org))
      credits.push(`${org}: credit of ${used.toFixed(2)} without a grant`);
  const credited = [...creditedBy.values()].reduce((a, b) => a.add(b), Dec.ZERO);
  return { lines, keys: keys.size, repriced, credits, credited: credited.toFixed(2), granted: granted.toFixed(2) };
}

export const sum = (a: Tally, b: Tally): Tally => ({
  events: a.events + b.events,
  lost: a.lost + b.lost,
  doubleCounted: a.doubleCounted + b.doubleCounted,
});

/**
 * A broker outage's verdict: every 202 counted exactly once, no service restarted by hand, and
 * the outage read by the hosts as 503s (never as another 5xx).
 */
export function outageSurvived(tally: Tally, hosts: Hosts, unexpectedExits: number): boolean {
  return (
    tally.lost === 0 &&
    tally.doubleCounted === 0 &&
    tally.events === hosts.stats.accepted &&
    unexpectedExits === 0 &&
    (hosts.stats.retries['503'] ?? 0) > 0 &&
    hosts.serverFaults === 0
  );
}
