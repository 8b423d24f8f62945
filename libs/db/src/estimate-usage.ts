import type { PoolClient } from 'pg';
import type { UsageSegment } from '@metering/billing';
import { OrgId, Period, periodBounds, periodDate } from '@metering/domain';

type Queryable = Pick<PoolClient, 'query'>;

/**
 * The usage reads the estimates price under an organization's terms (libs/billing's
 * estimateMonth and estimateSpans): one statement each, whatever the number of SKUs.
 */
export class EstimateUsage {
  constructor(private readonly db: Queryable) {}

  /**
   * `org`'s usage of `period` so far as segments priceUsage takes: per SKU one segment of the
   * month from the monthly rollup, except for the SKUs of `cuts`, whose entry may change inside
   * the month: those are summed from the hourly projection per stretch between their cuts
   * (the hours in `cuts` inside the month, ascending), one segment per stretch.
   */
  async monthSegments(
    org: OrgId,
    period: Period,
    cuts: ReadonlyMap<string, readonly number[]>,
  ): Promise<UsageSegment[]> {
    const { from, to } = periodBounds(period);
    const skus: string[] = [];
    const since: string[] = [];
    for (const [sku, hours] of cuts) {
      for (const t of [from, ...hours.filter((h) => h > from && h < to)]) {
        skus.push(sku);
        since.push(new Date(t).toISOString());
      }
    }
    const { rows } = await this.db.query<{ sku: string; since: Date; quantity: string }>(
      `SELECT m.sku, $3::timestamptz AS since, m.quantity::text AS quantity
         FROM usage_monthly m
        WHERE m.org = $1::text AND m.period = $2::date AND m.sku <> ALL($5::text[])
       UNION ALL
       SELECT c.sku, c.since, sum(h.quantity)::text AS quantity
         FROM (SELECT sku, since, coalesce(lead(since) OVER (PARTITION BY sku ORDER BY since), $4::timestamptz) AS until
                 FROM unnest($5::text[], $6::timestamptz[]) AS c(sku, since)) c
         JOIN usage_hourly h ON h.org = $1::text AND h.sku = c.sku AND h.hour >= c.since AND h.hour < c.until
        GROUP BY c.sku, c.since`,
      [org, periodDate(period), new Date(from).toISOString(), new Date(to).toISOString(), skus, since],
    );
    return rows.map((r) => ({ sku: r.sku, hour: r.since.getTime(), quantity: r.quantity }));
  }

  /** `org`'s usage per (sku, hour) of [from, to), of the SKUs named. */
  async hourlyTotals(org: OrgId, skus: readonly string[], from: number, to: number): Promise<UsageSegment[]> {
    if (skus.length === 0) return [];
    const { rows } = await this.db.query<{ sku: string; hour: Date; quantity: string }>(
      `SELECT sku, hour, sum(quantity)::text AS quantity FROM usage_hourly
        WHERE org = $1::text AND hour >= $2::timestamptz AND hour < $3::timestamptz AND sku = ANY($4::text[])
        GROUP BY sku, hour`,
      [org, new Date(from).toISOString(), new Date(to).toISOString(), skus],
    );
    return rows.map((r) => ({ sku: r.sku, hour: r.hour.getTime(), quantity: r.quantity }));
  }
}
