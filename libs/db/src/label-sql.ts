import { isLabelKey } from '@metering/billing';

/** The labels a read groups by and filters on (CONTRACT.md, "Cost allocation by label"). */
export interface LabelQuery {
  /** Keys of `group_by=label:<key>`, in the order given; each answer row carries `label:<key>`. */
  labels: string[];
  /** `label:<key>=<value>` filters: a row passes when its app's label is one of the values. */
  labelFilters: Record<string, string[]>;
}

export const NO_LABELS: LabelQuery = { labels: [], labelFilters: {} };

export const usesLabels = (q: LabelQuery): boolean => q.labels.length > 0 || Object.keys(q.labelFilters).length > 0;

/** The answer's column of a label key. */
export const labelColumn = (key: string): `label:${string}` => `label:${key}`;

/**
 * SQL for the labels of a read: the app's labels joined at read time (alias `l`), onto rows
 * already summed per app, so the join touches a few rows, not every hour. Keys are checked
 * here again, as they are written into the statement; filter values are parameters.
 */
export function labelSql(
  q: LabelQuery,
  app: string,
  org: string,
  param: (value: unknown, type: string) => string,
): { join: string; columns: string[]; names: string[]; where: string[] } {
  const value = (key: string) => {
    if (!isLabelKey(key)) throw new Error(`not a label key: '${key}'`);
    return `coalesce(l.labels ->> '${key}', '')`;
  };
  return {
    join: usesLabels(q) ? `LEFT JOIN app_labels l ON l.org = ${org} AND l.app = ${app}` : '',
    columns: q.labels.map((k) => `${value(k)} AS "${labelColumn(k)}"`),
    names: q.labels.map((k) => `"${labelColumn(k)}"`),
    where: Object.entries(q.labelFilters).map(([k, values]) => `${value(k)} = ANY(${param(values, 'text[]')})`),
  };
}
