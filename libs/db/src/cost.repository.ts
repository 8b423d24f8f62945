import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { EstimateSpan, estimateSpans, monthsOf, Terms, tieredSkus, UsageSegment } from '@metering/billing';
import { OrgId, Period, periodBounds } from '@metering/domain';
import { EstimateUsage } from './estimate-usage';
import { PG_POOL } from './pool';
import { dayAndHourSource, isUtcZone, splitDays, wholeDays } from './resource-days';
import { TermsRepository } from './terms.repository';
import { LabelQuery, labelSql, NO_LABELS, usesLabels } from './label-sql';
import type { Granularity } from './usage.repository';

/** `total`: one row per key over the whole range, for breakdowns and top-N. */
export type CostGranularity = Granularity | 'total';
export type CostKey = 'sku' | 'app' | 'region' | 'resource';
export const COST_KEYS: readonly CostKey[] = ['sku', 'app', 'region', 'resource'];

export interface CostQuery {
  from: Date; // inclusive
  to: Date; // exclusive
  granularity: CostGranularity;
  tz: string;
  /** In the order given; rows are ordered by start, then these. sku is a key only if named. */
  groupBy: CostKey[];
  filters: Record<CostKey, string[]>;
  /** `amount`: largest first (top-N with `limit`). */
  order: 'time' | 'amount';
  limit: number | null;
  /** Label keys to group by and filter on (absent: none). */
  labelQuery?: LabelQuery;
}

export interface CostRow {
  start: string;
  end: string;
  sku?: string;
  app?: string;
  region?: string;
  resource?: string;
  /** Only when sku is a key: quantities of different units do not add up. */
  quantity?: string;
  /** Exact (not rounded): usage × the unit price in force at each hour. */
  amount: string;
  [label: `label:${string}`]: string;
}

export interface CostAnswer {
  rows: CostRow[];
  /** Exact sum over every matching row, also those past `limit`. */
  total: string;
  /** How many rows matched before `limit`. */
  totalRows: number;
}

const STEP: Record<Granularity, string> = { hour: '1 hour', day: '1 day', month: '1 month' };
const UTC_TEXT = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

/** Queries that name a resource read the per-resource projection; all others the far smaller hourly one. */
export function costTable(q: Pick<CostQuery, 'groupBy' | 'filters'>): 'usage_resource_hourly' | 'usage_hourly' {
  return q.groupBy.includes('resource') || q.filters.resource.length > 0 ? 'usage_resource_hourly' : 'usage_hourly';
}

/** The SKUs the organization's terms price (list entries cover the catalog). */
const skusOf = (terms: Terms): string[] => [...new Set(terms.data.prices.map((e) => e.sku))].sort();

/**
 * Cost estimates: projected usage priced under the organization's own terms (its contract
 * entries where they are in force, else the list's; tiers counted over its month). Every read
 * names the organization it is for, and reads the list entries and that organization's only.
 */
@Injectable()
export class CostRepository {
  private readonly usage: EstimateUsage;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly termsOf: TermsRepository,
  ) {
    this.usage = new EstimateUsage(pool);
  }

  /**
   * What `usage/current` prices: `org`'s terms, and its usage of the open `period` as segments
   * cut at every hour where an entry pricing one of its SKUs changes inside the month (the
   * monthly rollup for the other SKUs), so that graduated tiers fill in hour order.
   */
  async currentMonth(org: OrgId, period: Period): Promise<{ terms: Terms; usage: UsageSegment[] }> {
    const terms = new Terms(await this.termsOf.snapshot(org));
    const { from, to } = periodBounds(period);
    const cuts = new Map<string, number[]>();
    for (const sku of skusOf(terms)) {
      const b = terms.boundaries(org, sku, from, to);
      if (b.length > 0) cuts.set(sku, b);
    }
    return { terms, usage: await this.usage.monthSegments(org, period, cuts) };
  }

  /**
   * The unit price of each stretch of `org`'s usage of [from, to), per SKU, under its terms
   * (see estimateSpans): the hourly totals of whole months only for SKUs a tiered entry prices.
   */
  async spans(org: OrgId, from: Date, to: Date, skus: readonly string[] = []): Promise<EstimateSpan[]> {
    const terms = new Terms(await this.termsOf.snapshot(org));
    const [a, b] = [from.getTime(), to.getTime()];
    const wanted = skus.length > 0 ? [...skus] : skusOf(terms);
    const tiered = tieredSkus(org, terms, wanted, a, b);
    const months = monthsOf(a, b);
    const hourly = await this.usage.hourlyTotals(org, tiered, months.start, months.end);
    return estimateSpans(org, terms, wanted, a, b, hourly);
  }

  /**
   * Changes whenever what a cost answer of `org` over [from, to) is made of may have changed:
   * the organization's monthly rollup for the months the range touches (the aggregator writes
   * it in the same statement as the hourly and per-resource rows, and its event counts only
   * grow), the identity of the projection tables (a rebuild swaps them in), and the price book
   * (which only gains rows). Folds of other organizations or other months change nothing here,
   * so their answers stay cached. A handful of index lookups, cheap to ask per request.
   */
  async watermark(org: OrgId, from: Date, to: Date): Promise<string> {
    const { rows } = await this.pool.query<{ w: string }>(
      `SELECT concat_ws('/', m.events, m.quantity, 'usage_hourly'::regclass::oid, 'usage_resource_hourly'::regclass::oid, p.n, p.id, p.at, l.n, l.at) AS w
         FROM (SELECT coalesce(sum(events), 0) AS events, coalesce(sum(quantity), 0) AS quantity FROM usage_monthly
                WHERE org = $1 AND period >= (date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'))::date
                  AND period < $3::timestamptz AT TIME ZONE 'UTC') m,
              (SELECT count(*) AS n, coalesce(max(id), 0) AS id, coalesce(max(created_at)::text, '') AS at FROM prices
                WHERE org IS NULL OR org = $1) p,
              (SELECT count(*) AS n, coalesce(max(updated_at)::text, '') AS at FROM app_labels WHERE org = $1) l`,
      [org, from, to],
    );
    return rows[0]!.w;
  }

  async costs(org: OrgId, q: CostQuery): Promise<CostAnswer> {
    const params: unknown[] = [];
    // Postgres refuses parameters a statement does not use, so each is added where it is used.
    const param = (value: unknown, type: string): string => `$${params.push(value)}::${type}`;
    const orgP = param(org, 'text');
    const from = param(q.from.toISOString(), 'timestamptz');
    const to = param(q.to.toISOString(), 'timestamptz');
    const where = [`u.org = ${orgP}`, `u.hour >= ${from}`, `u.hour < ${to}`];
    for (const key of COST_KEYS) {
      if (q.filters[key].length > 0) where.push(`u.${key} = ANY(${param(q.filters[key], 'text[]')})`);
    }
    let bucket: string;
    let end: string;
    if (q.granularity === 'total') {
      [bucket, end] = [from, to];
    } else if (q.granularity === 'hour') {
      // An hour is an hour in any zone.
      [bucket, end] = ['u.hour', `c.start + interval '1 hour'`];
    } else {
      // Days and months are cut at local midnight and stepped on the local calendar (DST).
      const tz = param(q.tz, 'text');
      bucket = `date_trunc('${q.granularity}', u.hour, ${tz})`;
      end = `((c.start AT TIME ZONE ${tz}) + ${param(STEP[q.granularity], 'interval')}) AT TIME ZONE ${tz}`;
    }
    // The prices: per SKU, spans of one unit price each under the org's terms, made in
    // libs/billing (estimateSpans) and handed over as arrays; never another org's entries.
    const spans = await this.spans(org, q.from, q.to, q.filters.sku);
    const [a, b] = [q.from.getTime(), q.to.getTime()];
    const cuts = [...new Set(spans.flatMap((s) => [s.from, s.to]).filter((t) => t > a && t < b))].sort((x, y) => x - y);
    const bounds = param(
      cuts.map((t) => new Date(t).toISOString()),
      'timestamptz[]',
    );
    const source = this.source(q, cuts, { param, orgP, from, to });
    const keys = q.groupBy;
    // With labels, usage is summed per app too, and the app's labels joined onto those sums.
    const labels = q.labelQuery ?? NO_LABELS;
    const l = labelSql(labels, 'a.app', orgP, param);
    const aKeys = [...keys, ...(usesLabels(labels) && !keys.includes('app') ? (['app'] as const) : [])]
      .filter((k) => k !== 'sku')
      .map((k) => `, u.${k}`)
      .join('');
    const cKeys = keys.map((k) => `, a.${k}`).join('');
    const lKeys = l.columns.map((c) => `, ${c}`).join('');
    const lGroups = labels.labels.map((_, i) => `, ${keys.length + 2 + i}`).join('');
    const outKeys = [...keys.map((k) => `c.${k}`), ...l.names.map((n) => `c.${n}`)];
    const order = [...(q.order === 'amount' ? ['c.amount DESC'] : []), 'c.start', ...outKeys].join(', ');
    const limit = q.limit === null ? '' : ` LIMIT ${param(q.limit, 'int')}`;
    const spansSql = `SELECT * FROM unnest(${param(
      spans.map((s) => s.sku),
      'text[]',
    )}, ${param(
      spans.map((s) => new Date(s.from).toISOString()),
      'timestamptz[]',
    )}, ${param(
      spans.map((s) => new Date(s.to).toISOString()),
      'timestamptz[]',
    )}, ${param(
      spans.map((s) => s.unitPrice),
      'numeric[]',
    )}) AS s(sku, since, until, unit_price)`;
    // Pricing happens after summing: usage is first summed per key, SKU and price segment (the
    // stretches between the instants inside the range where any span starts or ends, so one
    // price per SKU in each), and only those sums are multiplied. Hours are priced where they are.
    const sql = `
      WITH bounds AS (
        SELECT ${bounds} AS b
      ), spans AS (
        ${spansSql}
      ), a AS (
        SELECT ${bucket} AS start${aKeys}, u.sku, width_bucket(u.hour, bounds.b) AS seg, sum(u.quantity) AS quantity
          FROM ${source} u, bounds
         WHERE ${where.join(' AND ')}
         GROUP BY ${bucket}${aKeys}, u.sku, width_bucket(u.hour, bounds.b)
      ), c AS (
        SELECT a.start${cKeys}${lKeys}, sum(a.quantity) AS quantity, sum(a.quantity * coalesce(s.unit_price, 0)) AS amount
          FROM a CROSS JOIN bounds
          CROSS JOIN LATERAL (SELECT CASE WHEN a.seg = 0 THEN ${from} ELSE bounds.b[a.seg] END AS at) t
          LEFT JOIN spans s ON s.sku = a.sku AND s.since <= t.at AND t.at < s.until
          ${l.join}
         ${l.where.length > 0 ? `WHERE ${l.where.join(' AND ')}` : ''}
         GROUP BY a.start${cKeys}${lGroups}
      )
      SELECT to_char(c.start AT TIME ZONE 'UTC', ${UTC_TEXT}) AS start,
             to_char((${end}) AT TIME ZONE 'UTC', ${UTC_TEXT}) AS "end"${outKeys.map((k) => `, ${k}`).join('')},
             ${keys.includes('sku') ? 'c.quantity::text AS quantity, ' : ''}c.amount::text AS amount,
             (sum(c.amount) OVER ())::text AS total, count(*) OVER () AS total_rows
        FROM c
       ORDER BY ${order}${limit}`;
    const client = await this.pool.connect();
    try {
      // The hash of a month of hourly groups outgrows the default 4 MB and would spill to disk.
      await client.query('BEGIN');
      await client.query(`SET LOCAL work_mem = '32MB'`);
      // Compiling to machine code pays off for long analytic scans, not for these: it costs more than it saves.
      await client.query('SET LOCAL jit = off');
      const { rows } = await client.query<CostRow & { total: string; total_rows: string }>(sql, params);
      await client.query('COMMIT');
      const totalRows = rows.length > 0 ? Number(rows[0]!.total_rows) : 0;
      return {
        total: rows[0]?.total ?? '0',
        totalRows,
        rows: rows.map(({ total: _t, total_rows: _n, ...row }) => row),
      };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /**
   * Where the rows come from. Whole UTC days are read from the daily rollup of the projection
   * (the aggregator keeps it in the fold's own transaction, today included), the hours around
   * them from the hourly rows, when the answer's buckets are made of whole UTC days (a total,
   * or days and months in UTC). A day inside which a price changes (`cuts` not at midnight: a
   * new entry, or an hour that crosses a tier) is read from the hourly rows too: its day's sum
   * could not be priced as one.
   */
  private source(
    q: CostQuery,
    cuts: readonly number[],
    p: { param: (v: unknown, type: string) => string; orgP: string; from: string; to: string },
  ): string {
    const table = costTable(q);
    const byDays = q.granularity === 'total' || (q.granularity !== 'hour' && isUtcZone(q.tz));
    const span = byDays ? wholeDays(q.from, q.to) : null;
    if (!span) return table;
    return dayAndHourSource(table, span, splitDays(span, cuts), { ...p, org: p.orgP });
  }
}
