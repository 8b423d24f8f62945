import type { Rendered } from './response-cache';

/** An instant as the answers print it: RFC 3339 in UTC, without a fraction of zero. */
export const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

/** A CSV cell (RFC 4180): quoted when it holds a quote, a comma or a line break. */
export function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header line, then each row's cells in the header's order (empty where a row has none). */
export function renderCsv(header: readonly string[], rows: readonly Record<string, string | number>[]): Rendered {
  const lines = [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h] ?? '')).join(','))];
  return { body: Buffer.from(`${lines.join('\n')}\n`), contentType: 'text/csv; charset=utf-8' };
}

export function renderJson(body: unknown): Rendered {
  return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json; charset=utf-8' };
}
