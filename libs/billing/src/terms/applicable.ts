import type { OrgId } from '@metering/domain';
import { Terms } from './terms';
import type { TermPriceEntry } from './types';

/** An entry that prices an organization's usage, and whether it is its own contract price. */
export interface ApplicableEntry {
  entry: TermPriceEntry;
  source: 'list' | 'contract';
}

/**
 * The prices that apply to `org` from `now` on, per SKU: the entry in force now, then each one
 * scheduled to take over, as the close will pick them (its contract entry where one is in force,
 * else the list entry). A list change that a contract hides is left out; another organization's
 * entries never count. By sku, then effective_from.
 */
export function applicablePrices(terms: Terms, org: OrgId, now: number): ApplicableEntry[] {
  const bySku = new Map<string, Set<number>>();
  for (const e of terms.data.prices) {
    if (e.org !== null && e.org !== org) continue;
    const times = bySku.get(e.sku) ?? new Set<number>([now]);
    if (e.effectiveFrom > now) times.add(e.effectiveFrom);
    bySku.set(e.sku, times);
  }
  const out: ApplicableEntry[] = [];
  for (const sku of [...bySku.keys()].sort()) {
    let last: TermPriceEntry | undefined;
    for (const t of [...bySku.get(sku)!].sort((a, b) => a - b)) {
      const e = terms.entryAt(org, sku, t);
      if (e === undefined || e === last) continue;
      out.push({ entry: e, source: e.org === null ? 'list' : 'contract' });
      last = e;
    }
  }
  return out;
}
