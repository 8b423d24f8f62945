import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { BillableUsage, PriceBook, PricedUsage, UsageByOrg } from '@metering/billing';
import { OrgId, Period, periodBounds, periodDate } from '@metering/domain';
import { PG_POOL } from './pool';
import { priceEntries } from './price.repository';

type Queryable = Pick<PoolClient, 'query'>;

export interface Difference {
  org: OrgId;
  usage_period: Period;
  sku: string;
  projected: string;
  billed: string;
}

function push(map: UsageByOrg, org: OrgId, u: PricedUsage): void {
  const list = map.get(org);
  if (list) list.push(u);
  else map.set(org, [u]);
}

function merge(into: UsageByOrg, from: UsageByOrg): void {
  for (const [org, list] of from) into.set(org, [...(into.get(org) ?? []), ...list]);
}

/**
 * What the billing side reads: prices, projected usage priced at the hour it happened, and
 * what was billed before. Every method takes the client to read with, so that a close reads
 * all of it in one snapshot. A read of one organization takes its OrgId; a read of every
 * organization (the close, verify, reconcile) says so in its name.
 */
@Injectable()
export class BillingRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async priceBook(db: Queryable = this.pool): Promise<PriceBook> {
    return new PriceBook(await priceEntries(db));
  }

  async closedPeriods(db: Queryable = this.pool): Promise<Period[]> {
    const { rows } = await db.query<{ period: Period }>(
      `SELECT to_char(period, 'YYYY-MM') AS period FROM period_closes ORDER BY period`,
    );
    return rows.map((r) => r.period);
  }

  /** What closing `period` bills `org` for: see billableUsageAllOrgs. */
  billableUsage(db: Queryable, period: Period, book: PriceBook, org: OrgId): Promise<BillableUsage> {
    return this.billableUsageWhere(db, period, book, org);
  }

  /**
   * What closing `period` bills, for every organization: usage of the period and late usage
   * of earlier closed periods, and what was billed for those periods before.
   */
  billableUsageAllOrgs(db: Queryable, period: Period, book: PriceBook): Promise<BillableUsage> {
    return this.billableUsageWhere(db, period, book, null);
  }

  private async billableUsageWhere(
    db: Queryable,
    period: Period,
    book: PriceBook,
    org: OrgId | null,
  ): Promise<BillableUsage> {
    const usage: BillableUsage = { projected: new Map(), billed: new Map() };
    for (const p of [period, ...(await this.periodsWithLateUsage(db, period, org))]) {
      merge(usage.projected, await this.projectedWhere(db, p, book, org));
      merge(usage.billed, await this.billed(db, p, org));
    }
    return usage;
  }

  /**
   * The usage of `org` projected for `period`, split by the unit price in force at each hour.
   * Reads the monthly rollup, and the hourly projection only for SKUs whose price changed
   * inside the period.
   */
  projected(db: Queryable, period: Period, book: PriceBook, org: OrgId): Promise<UsageByOrg> {
    return this.projectedWhere(db, period, book, org);
  }

  /** The same, for every organization. */
  projectedAllOrgs(db: Queryable, period: Period, book: PriceBook): Promise<UsageByOrg> {
    return this.projectedWhere(db, period, book, null);
  }

  private async projectedWhere(db: Queryable, period: Period, book: PriceBook, org: OrgId | null): Promise<UsageByOrg> {
    const { from, to } = periodBounds(period);
    const byOrg: UsageByOrg = new Map();
    const { rows } = await db.query<{ org: OrgId; sku: string; quantity: string }>(
      `SELECT org, sku, quantity::text FROM usage_monthly WHERE period = $1 ${org !== null ? 'AND org = $2' : ''}`,
      org !== null ? [periodDate(period), org] : [periodDate(period)],
    );
    const split = new Set<string>();
    for (const r of rows) {
      const spans = book.spans(r.sku, from, to);
      if (spans.length === 1)
        push(byOrg, r.org, { sku: r.sku, usagePeriod: period, unitPrice: spans[0]!.unitPrice, quantity: r.quantity });
      else split.add(r.sku);
    }
    for (const sku of split) {
      for (const span of book.spans(sku, from, to)) {
        const part = await db.query<{ org: OrgId; quantity: string }>(
          `SELECT org, sum(quantity)::text AS quantity FROM usage_hourly
            WHERE sku = $1 AND hour >= $2 AND hour < $3 ${org !== null ? 'AND org = $4' : ''} GROUP BY org`,
          org !== null
            ? [sku, new Date(span.from), new Date(span.to), org]
            : [sku, new Date(span.from), new Date(span.to)],
        );
        for (const r of part.rows)
          push(byOrg, r.org, { sku, usagePeriod: period, unitPrice: span.unitPrice, quantity: r.quantity });
      }
    }
    return byOrg;
  }

  /** One organization's usage projected for `period` so far, priced as `projected` prices it. */
  async projectedFor(org: OrgId, period: Period, book: PriceBook): Promise<PricedUsage[]> {
    return (await this.projected(this.pool, period, book, org)).get(org) ?? [];
  }

  /** What was billed for `period` (usage and adjustment lines), per organization and price. */
  private async billed(db: Queryable, period: Period, org: OrgId | null): Promise<UsageByOrg> {
    const { rows } = await db.query<{ org: OrgId; sku: string; unit_price: string; quantity: string }>(
      `SELECT i.org, l.sku, l.unit_price::text, sum(l.quantity)::text AS quantity
         FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
        WHERE l.usage_period = $1 ${org !== null ? 'AND i.org = $2' : ''}
        GROUP BY i.org, l.sku, l.unit_price`,
      org !== null ? [periodDate(period), org] : [periodDate(period)],
    );
    const byOrg: UsageByOrg = new Map();
    for (const r of rows)
      push(byOrg, r.org, { sku: r.sku, usagePeriod: period, unitPrice: r.unit_price, quantity: r.quantity });
    return byOrg;
  }

  /** Closed periods before `period` whose projection grew past what was billed (late usage). */
  private async periodsWithLateUsage(db: Queryable, period: Period, org: OrgId | null): Promise<Period[]> {
    const { rows } = await db.query<{ period: Period }>(
      `SELECT DISTINCT to_char(d.period, 'YYYY-MM') AS period FROM (${DIFFERENCES}) d
        WHERE d.period < $1 AND d.projected > d.billed ${org !== null ? 'AND d.org = $2' : ''} ORDER BY 1`,
      org !== null ? [periodDate(period), org] : [periodDate(period)],
    );
    return rows.map((r) => r.period);
  }

  /** For every closed period, org and SKU whose projection and billed quantity differ. Operator-wide. */
  async differences(db: Queryable = this.pool): Promise<Difference[]> {
    const { rows } = await db.query<Difference>(
      `SELECT d.org, to_char(d.period, 'YYYY-MM') AS usage_period, d.sku, d.projected::text AS projected, d.billed::text AS billed
         FROM (${DIFFERENCES}) d WHERE d.projected <> d.billed ORDER BY d.period, d.org, d.sku`,
    );
    return rows;
  }
}

/** Projected against billed, per closed period, org and SKU. */
const DIFFERENCES = `
  SELECT coalesce(p.org, b.org) AS org, coalesce(p.period, b.period) AS period, coalesce(p.sku, b.sku) AS sku,
         coalesce(p.quantity, 0) AS projected, coalesce(b.quantity, 0) AS billed
    FROM (SELECT m.org, m.period, m.sku, m.quantity FROM usage_monthly m JOIN period_closes c ON c.period = m.period) p
    FULL JOIN (SELECT i.org, l.usage_period AS period, l.sku, sum(l.quantity) AS quantity
                 FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
                GROUP BY 1, 2, 3) b
      ON b.org = p.org AND b.period = p.period AND b.sku = p.sku`;
