import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { BillableUsage, BilledLine, Terms, UsageSegment } from '@metering/billing';
import { OrgId, Period, periodBounds, periodDate } from '@metering/domain';
import { PG_POOL } from './pool';

type Queryable = Pick<PoolClient, 'query'>;

/**
 * What the billing side reads: prices, projected usage priced at the hour it happened, and
 * what was billed before. Every method takes the client to read with, so that a close reads
 * all of it in one snapshot. A read of one organization takes its OrgId; a read of every
 * organization (the close, verify, reconcile) says so in its name.
 */
@Injectable()
export class BillingRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async closedPeriods(db: Queryable = this.pool): Promise<Period[]> {
    const { rows } = await db.query<{ period: Period }>(
      `SELECT to_char(period, 'YYYY-MM') AS period FROM period_closes ORDER BY period`,
    );
    return rows.map((r) => r.period);
  }

  /** What closing `period` bills `org` for: see billableUsageAllOrgs. */
  billableUsage(db: Queryable, period: Period, terms: Terms, org: OrgId): Promise<BillableUsage> {
    return this.billableWhere(db, period, terms, org);
  }

  /**
   * What closing `period` bills, for every organization: the period's usage, and each closed
   * month whose usage changed since it was invoiced, with what was billed for it. Usage comes as
   * segments cut at every price entry that starts inside the month for that organization and SKU,
   * so each segment has one entry in force and tiers count in hour order.
   */
  billableUsageAllOrgs(db: Queryable, period: Period, terms: Terms): Promise<BillableUsage> {
    return this.billableWhere(db, period, terms, null);
  }

  private async billableWhere(db: Queryable, period: Period, terms: Terms, org: OrgId | null): Promise<BillableUsage> {
    const billable: BillableUsage = new Map();
    const of = (o: OrgId) => {
      let b = billable.get(o);
      if (!b) billable.set(o, (b = { usage: [], late: [] }));
      return b;
    };
    for (const [o, segments] of await this.segments(db, period, terms, org === null ? null : [org]))
      of(o).usage = segments;
    const late = await this.lateMonths(db, period, org);
    for (const [month, orgs] of late) {
      const usage = await this.segments(db, month, terms, orgs);
      const billed = await this.billedLines(db, month, orgs);
      for (const o of orgs) of(o).late.push({ period: month, usage: usage.get(o) ?? [], billed: billed.get(o) ?? [] });
    }
    return billable;
  }

  /** One organization's usage of `period` so far, as segments (see billableUsageAllOrgs). */
  async usageSegments(org: OrgId, period: Period, terms: Terms, db: Queryable = this.pool): Promise<UsageSegment[]> {
    return (await this.segments(db, period, terms, [org])).get(org) ?? [];
  }

  /**
   * The month's usage per organization and SKU from the monthly rollup; where a price entry of
   * that organization's (or the list's) starts inside the month, summed per stretch between
   * entries from the hourly projection instead, in one query.
   */
  private async segments(
    db: Queryable,
    period: Period,
    terms: Terms,
    orgs: readonly OrgId[] | null,
  ): Promise<Map<OrgId, UsageSegment[]>> {
    const { from, to } = periodBounds(period);
    const { rows } = await db.query<{ org: OrgId; sku: string; quantity: string }>(
      `SELECT org, sku, quantity::text FROM usage_monthly WHERE period = $1 ${orgs !== null ? 'AND org = ANY($2)' : ''}`,
      orgs !== null ? [periodDate(period), orgs] : [periodDate(period)],
    );
    const byOrg = new Map<OrgId, UsageSegment[]>();
    const add = (o: OrgId, s: UsageSegment) => {
      const list = byOrg.get(o);
      if (list) list.push(s);
      else byOrg.set(o, [s]);
    };
    const cut = { org: [] as string[], sku: [] as string[], from: [] as Date[], to: [] as Date[] };
    for (const r of rows) {
      const cuts = terms.boundaries(r.org, r.sku, from, to);
      if (cuts.length === 0) {
        add(r.org, { sku: r.sku, hour: from, quantity: r.quantity });
        continue;
      }
      const edges = [from, ...cuts, to];
      for (let i = 0; i + 1 < edges.length; i++) {
        cut.org.push(r.org);
        cut.sku.push(r.sku);
        cut.from.push(new Date(edges[i]!));
        cut.to.push(new Date(edges[i + 1]!));
      }
    }
    if (cut.org.length > 0) {
      const parts = await db.query<{ org: OrgId; sku: string; since: Date; quantity: string }>(
        `SELECT x.org, x.sku, x.since, sum(h.quantity)::text AS quantity
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS x(org, sku, since, until)
           JOIN usage_hourly h ON h.org = x.org AND h.sku = x.sku AND h.hour >= x.since AND h.hour < x.until
          GROUP BY x.org, x.sku, x.since`,
        [cut.org, cut.sku, cut.from, cut.to],
      );
      for (const r of parts.rows) add(r.org, { sku: r.sku, hour: r.since.getTime(), quantity: r.quantity });
    }
    return byOrg;
  }

  /** Every line billed for `period` on the invoices of `orgs` (usage, adjustment and minimum lines). */
  private async billedLines(db: Queryable, period: Period, orgs: readonly OrgId[]): Promise<Map<OrgId, BilledLine[]>> {
    const { rows } = await db.query<BilledLine & { org: OrgId }>(
      `SELECT i.org, l.kind, l.sku, to_char(l.usage_period, 'YYYY-MM') AS usage_period, l.quantity::text, l.unit,
              l.unit_price::text, l.amount::text
         FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
        WHERE l.usage_period = $1 AND i.org = ANY($2) AND l.kind <> 'credit'`,
      [periodDate(period), orgs],
    );
    const byOrg = new Map<OrgId, BilledLine[]>();
    for (const { org, ...line } of rows) {
      const list = byOrg.get(org);
      if (list) list.push(line);
      else byOrg.set(org, [line]);
    }
    return byOrg;
  }

  /** Closed months before `period` whose usage differs from what was billed for them, with the organizations concerned. */
  private async lateMonths(db: Queryable, period: Period, org: OrgId | null): Promise<Map<Period, OrgId[]>> {
    const { rows } = await db.query<{ period: Period; orgs: OrgId[] }>(
      `SELECT to_char(d.period, 'YYYY-MM') AS period, array_agg(DISTINCT d.org) AS orgs FROM (${DIFFERENCES}) d
        WHERE d.period < $1 AND d.projected <> d.billed ${org !== null ? 'AND d.org = $2' : ''} GROUP BY 1 ORDER BY 1`,
      org !== null ? [periodDate(period), org] : [periodDate(period)],
    );
    return new Map(rows.map((r) => [r.period, r.orgs]));
  }

  /**
   * Every closed month of every organization that used or was billed anything in it: its usage
   * now and every line billed for it, for reconcile to price again. Operator-wide.
   */
  async closedMonths(
    terms: Terms,
    db: Queryable = this.pool,
  ): Promise<{ period: Period; org: OrgId; usage: UsageSegment[]; billed: BilledLine[] }[]> {
    const months: { period: Period; org: OrgId; usage: UsageSegment[]; billed: BilledLine[] }[] = [];
    for (const period of await this.closedPeriods(db)) {
      const { rows } = await db.query<{ org: OrgId }>(
        `SELECT org FROM usage_monthly WHERE period = $1
          UNION SELECT i.org FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number WHERE l.usage_period = $1
          ORDER BY 1`,
        [periodDate(period)],
      );
      const orgs = rows.map((r) => r.org);
      if (orgs.length === 0) continue;
      const usage = await this.segments(db, period, terms, orgs);
      const billed = await this.billedLines(db, period, orgs);
      for (const org of orgs) months.push({ period, org, usage: usage.get(org) ?? [], billed: billed.get(org) ?? [] });
    }
    return months;
  }
}

/** Projected against billed, per closed period, org and SKU. */
const DIFFERENCES = `
  SELECT coalesce(p.org, b.org) AS org, coalesce(p.period, b.period) AS period, coalesce(p.sku, b.sku) AS sku,
         coalesce(p.quantity, 0) AS projected, coalesce(b.quantity, 0) AS billed
    FROM (SELECT m.org, m.period, m.sku, m.quantity FROM usage_monthly m JOIN period_closes c ON c.period = m.period) p
    FULL JOIN (SELECT i.org, l.usage_period AS period, l.sku, sum(l.quantity) AS quantity
                 FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
                WHERE l.sku IS NOT NULL GROUP BY 1, 2, 3) b
      ON b.org = p.org AND b.period = p.period AND b.sku = p.sku`;
