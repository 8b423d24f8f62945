import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './pool';
import { dayAndHourSource, isUtcZone, wholeDays } from './resource-days';
import type { OrgId } from '@metering/domain';
import { LabelQuery, labelSql, NO_LABELS, usesLabels } from './label-sql';

export type Granularity = 'hour' | 'day' | 'month';
export type GroupKey = 'app' | 'region' | 'resource';

export interface UsageQuery {
  from: Date; // inclusive
  to: Date; // exclusive
  granularity: Granularity;
  tz: string; // IANA zone the day and month windows are cut in
  groupBy: GroupKey[]; // sku is always a key
  filters: { region: string[]; app: string[]; sku: string[] };
  /** Label keys to group by and filter on (absent: none). */
  labelQuery?: LabelQuery;
}

export interface UsageRow {
  start: string;
  end: string;
  app?: string;
  region?: string;
  resource?: string;
  sku: string;
  quantity: string;
  events: number;
  [label: `label:${string}`]: string;
}

const STEP: Record<Granularity, string> = { hour: '1 hour', day: '1 day', month: '1 month' };

/**
 * The projection a query reads: per resource only when it groups by resource; every other
 * query reads the hourly projection, which never holds a row per resource.
 */
export function usageTable(groupBy: readonly GroupKey[]): 'usage_resource_hourly' | 'usage_hourly' {
  return groupBy.includes('resource') ? 'usage_resource_hourly' : 'usage_hourly';
}
const UTC_TEXT = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

/** The read side of the usage projections; every read names the organization it is for. */
@Injectable()
export class UsageRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async usage(org: OrgId, q: UsageQuery): Promise<UsageRow[]> {
    const params: unknown[] = [org, q.from.toISOString(), q.to.toISOString(), q.tz, STEP[q.granularity]];
    const where = ['org = $1', 'hour >= $2::timestamptz', 'hour < $3::timestamptz'];
    for (const key of ['region', 'app', 'sku'] as const) {
      const values = q.filters[key];
      if (values.length > 0) {
        params.push(values);
        where.push(`${key} = ANY($${params.length}::text[])`);
      }
    }
    // Hours are whole UTC hours; a day or month window is cut at local midnight in tz.
    const bucket = q.granularity === 'hour' ? 'hour' : `date_trunc('${q.granularity}', hour, p.tz)`;
    // An hour is an hour in any zone; days and months are stepped on the local calendar (DST).
    const zone = q.granularity === 'hour' ? `'UTC'` : 'p.tz';
    const keys = [...q.groupBy, 'sku'];
    // With labels, the hours are summed per app first, then the app's labels joined on those sums.
    const labelled = usesLabels(q.labelQuery ?? NO_LABELS);
    const inner = labelled && !keys.includes('app') ? [...keys, 'app'] : keys;
    const param = (value: unknown, type: string): string => `$${params.push(value)}::${type}`;
    const l = labelSql(q.labelQuery ?? NO_LABELS, 'b.app', '$1', param);
    const outer = [...keys, ...l.names];
    // Days and months in UTC are sums of whole UTC days: those come from the daily rollup.
    const span = q.granularity !== 'hour' && isUtcZone(q.tz) ? wholeDays(q.from, q.to) : null;
    const source = span
      ? `${dayAndHourSource(usageTable(q.groupBy), span, [], { param, org: '$1', from: '$2::timestamptz', to: '$3::timestamptz' })} u`
      : usageTable(q.groupBy);
    const sql = `
      WITH p AS (SELECT $4::text AS tz, $5::interval AS step),
      b AS (
        SELECT ${bucket} AS start, ${inner.join(', ')}, sum(quantity) AS quantity, sum(events) AS events
          FROM ${source}, p
         WHERE ${where.join(' AND ')}
         GROUP BY 1, ${inner.map((_, i) => i + 2).join(', ')}
      )${
        labelled
          ? `, lb AS (
        SELECT b.start, ${[...keys.map((k) => `b.${k}`), ...l.columns].join(', ')}, sum(b.quantity) AS quantity, sum(b.events) AS events
          FROM b ${l.join}
         ${l.where.length > 0 ? `WHERE ${l.where.join(' AND ')}` : ''}
         GROUP BY ${outer.map((_, i) => i + 2).join(', ')}, 1
      )`
          : ''
      }
      SELECT to_char(start AT TIME ZONE 'UTC', ${UTC_TEXT}) AS start,
             to_char(((start AT TIME ZONE ${zone}) + p.step) AT TIME ZONE ${zone} AT TIME ZONE 'UTC', ${UTC_TEXT}) AS "end",
             ${outer.join(', ')}, quantity::text AS quantity, events::bigint AS events
        FROM ${labelled ? 'lb' : 'b'}, p
       ORDER BY ${labelled ? 'lb' : 'b'}.start, ${outer.join(', ')}`;
    const { rows } = await this.pool.query<UsageRow & { events: string }>(sql, params);
    return rows.map((r) => ({ ...r, events: Number(r.events) }));
  }
}
