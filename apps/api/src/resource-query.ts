import type { Granularity } from '@metering/db';
import type { FaultDetail } from '@metering/service';
import type { Match, ResourceSort } from './resource-pages';
import { all, parseUsageQuery, RawQuery, single, TimeParam, type Format } from './usage-query';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_Q = 256;

type Parsed<P> = { ok: true; query: P } | { ok: false; faults: FaultDetail[] };

export interface ParsedResourceList {
  from: TimeParam;
  to: TimeParam;
  tz: string;
  format: Format;
  filters: { region: string[]; app: string[]; sku: string[] };
  q: string;
  match: Match;
  /** `resource=` (repeatable): only these ids. */
  resources: string[];
  sort: ResourceSort;
  limit: number;
  cursor: string | null;
}

export interface ParsedResourceHistory {
  from: TimeParam;
  to: TimeParam;
  tz: string;
  format: Format;
  granularity: Granularity;
  /** The path's resource, part of the query so that answers are cached per resource. */
  resource: string;
}

const pick = (q: RawQuery, names: readonly string[]): RawQuery =>
  Object.fromEntries(Object.entries(q).filter(([k]) => names.includes(k)));

/**
 * GET /v1/orgs/{org}/resources: the window and filters as usage reads them (from, to, tz,
 * region, app, sku), then q (a prefix of the id; `match=contains` for any part of it), resource
 * (repeatable: only those ids), sort
 * (cost, the default, or resource), limit (1..1000, default 100) and cursor. Every fault named.
 */
export function parseResourceList(raw: RawQuery): Parsed<ParsedResourceList> {
  const faults: FaultDetail[] = [];
  const usage = parseUsageQuery(pick(raw, ['from', 'to', 'tz', 'region', 'app', 'sku']));
  if (!usage.ok) faults.push(...usage.faults);
  const q = single(raw, 'q', faults) ?? '';
  if (q.length > MAX_Q) faults.push({ path: 'q', message: `at most ${MAX_Q} characters` });
  const match = single(raw, 'match', faults) ?? 'prefix';
  if (match !== 'prefix' && match !== 'contains') faults.push({ path: 'match', message: 'prefix or contains' });
  const sort = single(raw, 'sort', faults) ?? 'cost';
  if (sort !== 'cost' && sort !== 'resource') faults.push({ path: 'sort', message: 'cost or resource' });
  const limitText = single(raw, 'limit', faults);
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    limit = /^\d{1,7}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT))
      faults.push({ path: 'limit', message: `an integer from 1 to ${MAX_LIMIT}` });
  }
  const cursor = single(raw, 'cursor', faults) ?? null;
  if (!usage.ok || faults.length > 0) return { ok: false, faults };
  const { from, to, tz, filters } = usage.query;
  return {
    ok: true,
    query: {
      from,
      to,
      tz,
      format: 'json',
      filters,
      q,
      match: match as Match,
      resources: [...new Set(all(raw, 'resource'))].sort(),
      sort: sort as ResourceSort,
      limit,
      cursor: cursor === '' ? null : cursor,
    },
  };
}

/**
 * GET /v1/orgs/{org}/resources/{resource}: from, to, granularity (hour, day, month), tz, format;
 * `resource` is the path's, put into the query by the controller.
 */
export function parseResourceHistory(raw: RawQuery): Parsed<ParsedResourceHistory> {
  const usage = parseUsageQuery(pick(raw, ['from', 'to', 'tz', 'granularity', 'format']));
  if (!usage.ok) return usage;
  const { from, to, tz, format, granularity } = usage.query;
  const resource = typeof raw['resource'] === 'string' ? raw['resource'] : '';
  return { ok: true, query: { from, to, tz, format, granularity, resource } };
}
