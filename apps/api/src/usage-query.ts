import { isProblem, parseRfc3339 } from '@metering/catalog';
import { labelKeyOf } from '@metering/billing';
import type { Granularity, GroupKey, LabelQuery, UsageQuery } from '@metering/db';
import type { FaultDetail } from '@metering/service';

export const MAX_SPAN_DAYS = 400;
const MIN_YEAR = 1970;
const GRANULARITIES: readonly Granularity[] = ['hour', 'day', 'month'];
const GROUP_KEYS: readonly string[] = ['app', 'region', 'sku', 'resource'];
const LOCAL = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export type RawQuery = Record<string, string | string[] | undefined>;

/** A time given without an offset is a wall-clock time in `tz`, resolved by the database. */
export type TimeParam = { instant: Date } | { local: string };

export type Format = 'json' | 'csv';

/** A UsageQuery whose times may still be wall-clock times in `tz`, and the answer's format. */
export type ParsedUsageQuery = Omit<UsageQuery, 'from' | 'to'> & { from: TimeParam; to: TimeParam; format: Format };

/** Every value of a repeatable parameter, comma lists split, blanks dropped. */
export function all(q: RawQuery, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A parameter that may be given once: its value, or a fault when it came more than once. */
export function single(q: RawQuery, name: string, faults: FaultDetail[]): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) {
    faults.push({ path: name, message: 'given more than once' });
    return undefined;
  }
  return v;
}

function time(q: RawQuery, name: string, faults: FaultDetail[]): TimeParam | undefined {
  const v = single(q, name, faults);
  if (v === undefined || v === '') {
    faults.push({
      path: name,
      message: 'is required (RFC 3339, e.g. 2026-11-01T00:00:00Z, or a date 2026-11-01 in tz)',
    });
    return undefined;
  }
  // There is no usage before the Unix epoch, and Postgres has no year 0 (a 500 if asked).
  if (/^\d{4}/.test(v) && Number(v.slice(0, 4)) < MIN_YEAR) {
    faults.push({ path: name, message: `must be in the years ${MIN_YEAR} to 9999` });
    return undefined;
  }
  if (LOCAL.test(v)) {
    // A wall-clock time: check it is a real one by reading it as if it were UTC.
    const asUtc = parseRfc3339(`${v.length === 10 ? `${v}T00:00:00` : v.length === 16 ? `${v}:00` : v}Z`);
    if (!isProblem(asUtc)) return { local: v };
  } else {
    const instant = parseRfc3339(v);
    if (!isProblem(instant)) return { instant: new Date(instant) };
  }
  faults.push({ path: name, message: `'${v}' is not an RFC 3339 time or a date` });
  return undefined;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses the usage endpoint's parameters; every bad one is named in `faults`. */
export function parseUsageQuery(
  q: RawQuery,
): { ok: true; query: ParsedUsageQuery } | { ok: false; faults: FaultDetail[] } {
  const faults: FaultDetail[] = [];
  const from = time(q, 'from', faults);
  const to = time(q, 'to', faults);
  const granularity = (single(q, 'granularity', faults) ?? 'hour') as Granularity;
  if (!GRANULARITIES.includes(granularity))
    faults.push({ path: 'granularity', message: `one of ${GRANULARITIES.join(', ')}` });
  const tz = single(q, 'tz', faults) ?? 'UTC';
  if (!isTimeZone(tz)) faults.push({ path: 'tz', message: `'${tz}' is not an IANA time zone` });
  const groupBy: GroupKey[] = [];
  const labels = labelParams(q, faults);
  for (const key of all(q, 'group_by')) {
    if (key.startsWith('label:')) labelGroup(key, labels, faults);
    else if (!GROUP_KEYS.includes(key))
      faults.push({ path: 'group_by', message: `'${key}' is not one of app, region, sku, resource, label:<key>` });
    else if (key !== 'sku' && !groupBy.includes(key as GroupKey)) groupBy.push(key as GroupKey);
  }
  const format = single(q, 'format', faults) ?? 'json';
  if (format !== 'json' && format !== 'csv') faults.push({ path: 'format', message: 'json or csv' });
  if (from && to && 'instant' in from && 'instant' in to) {
    const span = to.instant.getTime() - from.instant.getTime();
    if (span <= 0) faults.push({ path: 'to', message: 'must be after from' });
    else if (span > MAX_SPAN_DAYS * 86_400_000)
      faults.push({ path: 'to', message: `at most ${MAX_SPAN_DAYS} days after from` });
  }
  if (faults.length > 0 || !from || !to) return { ok: false, faults };
  return {
    ok: true,
    query: {
      from,
      to,
      format: format as Format,
      granularity,
      tz,
      groupBy,
      filters: { region: all(q, 'region'), app: all(q, 'app'), sku: all(q, 'sku') },
      ...(labels.labels.length > 0 || Object.keys(labels.labelFilters).length > 0 ? { labelQuery: labels } : {}),
    },
  };
}

/** The `label:<key>=<value>` filters of a query (each repeatable); group_by's label keys are added by labelGroup. */
export function labelParams(q: RawQuery, faults: FaultDetail[]): LabelQuery {
  const labels: LabelQuery = { labels: [], labelFilters: {} };
  for (const name of Object.keys(q)) {
    if (!name.startsWith('label:')) continue;
    const key = labelKeyOf(name);
    const values = all(q, name);
    if (key === null) faults.push({ path: name, message: 'a label key is [a-z][a-z0-9_]{0,31}' });
    else if (values.length === 0) faults.push({ path: name, message: 'a label value to match' });
    else labels.labelFilters[key] = values;
  }
  return labels;
}

/** Adds `group_by=label:<key>` to the labels grouped by, once. */
export function labelGroup(param: string, labels: LabelQuery, faults: FaultDetail[]): void {
  const key = labelKeyOf(param);
  if (key === null) faults.push({ path: 'group_by', message: `'${param}': a label key is [a-z][a-z0-9_]{0,31}` });
  else if (!labels.labels.includes(key)) labels.labels.push(key);
}
