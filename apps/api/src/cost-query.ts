import type { CostKey, CostQuery } from '@metering/db';
import { COST_KEYS } from '@metering/db';
import type { FaultDetail } from '@metering/service';
import { all, Format, labelGroup, parseUsageQuery, RawQuery, single, TimeParam } from './usage-query';

export const MAX_LIMIT = 1000;

/** A CostQuery whose times may still be wall-clock times in `tz`, and the answer's format. */
export type ParsedCostQuery = Omit<CostQuery, 'from' | 'to'> & { from: TimeParam; to: TimeParam; format: Format };

/**
 * The cost endpoint's parameters: those it shares with usage (from, to, granularity, tz,
 * filters, format) are read by parseUsageQuery, so both endpoints accept and refuse the same
 * things; the rest (group_by with resource and without an implied sku, granularity=total,
 * the resource filter, order, limit) are read here. Every bad parameter is named.
 */
export function parseCostQuery(
  q: RawQuery,
): { ok: true; query: ParsedCostQuery } | { ok: false; faults: FaultDetail[] } {
  const faults: FaultDetail[] = [];
  const own = new Set(['group_by', 'resource', 'order', 'limit']);
  const shared: RawQuery = Object.fromEntries(Object.entries(q).filter(([k]) => !own.has(k)));
  const total = q['granularity'] === 'total';
  if (total) delete shared['granularity'];
  const usage = parseUsageQuery(shared);
  if (!usage.ok) faults.push(...usage.faults);

  const groupBy: CostKey[] = [];
  const labels = { labels: [] as string[], labelFilters: usage.ok ? (usage.query.labelQuery?.labelFilters ?? {}) : {} };
  for (const key of all(q, 'group_by')) {
    if (key.startsWith('label:')) labelGroup(key, labels, faults);
    else if (!COST_KEYS.includes(key as CostKey))
      faults.push({ path: 'group_by', message: `'${key}' is not one of ${COST_KEYS.join(', ')}` });
    else if (!groupBy.includes(key as CostKey)) groupBy.push(key as CostKey);
  }
  const order = single(q, 'order', faults) ?? 'time';
  if (order !== 'time' && order !== 'amount') faults.push({ path: 'order', message: 'time or amount' });
  const limitText = single(q, 'limit', faults);
  let limit: number | null = null;
  if (limitText !== undefined) {
    limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT))
      faults.push({ path: 'limit', message: `an integer from 1 to ${MAX_LIMIT}` });
  }
  if (!usage.ok || faults.length > 0) return { ok: false, faults };
  const { from, to, format, granularity, tz, filters } = usage.query;
  return {
    ok: true,
    query: {
      from,
      to,
      format,
      granularity: total ? 'total' : granularity,
      tz,
      groupBy,
      filters: { ...filters, resource: all(q, 'resource') },
      order: order as 'time' | 'amount',
      limit,
      ...(labels.labels.length > 0 || Object.keys(labels.labelFilters).length > 0 ? { labelQuery: labels } : {}),
    },
  };
}
