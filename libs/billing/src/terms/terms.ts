import { Dec, OrgId } from '@metering/domain';
import type { Period } from '@metering/domain';
import type { Commitment, CreditGrant, TermPriceEntry } from './types';

export interface TermsData {
  prices: readonly TermPriceEntry[];
  /** In the order they were made: of two with the same (org, from), the later replaces the earlier. */
  commitments: readonly Commitment[];
  credits: readonly CreditGrant[];
}

const entryKey = (sku: string, org: OrgId | null) => `${sku}\u0000${org ?? ''}`;

/**
 * The commercial terms a close reads in its snapshot: list and contract prices, commitments and
 * credit grants, indexed for the lookups pricing makes.
 */
export class Terms {
  private readonly entries = new Map<string, TermPriceEntry[]>();
  private readonly commitments = new Map<OrgId, Commitment[]>();
  private readonly credits = new Map<OrgId, CreditGrant[]>();

  constructor(readonly data: TermsData) {
    for (const e of data.prices) {
      const k = entryKey(e.sku, e.org);
      const list = this.entries.get(k) ?? [];
      list.push(e);
      this.entries.set(k, list);
    }
    for (const list of this.entries.values()) {
      list.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
      for (let i = 1; i < list.length; i++) {
        // Two entries from the same hour would leave it open which is in force; the database refuses them (409).
        if (list[i]!.effectiveFrom === list[i - 1]!.effectiveFrom) {
          const e = list[i]!;
          throw new RangeError(
            `two price entries for (${e.sku}, ${e.org ?? 'list'}) from ${new Date(e.effectiveFrom).toISOString()}`,
          );
        }
      }
    }
    for (const c of data.commitments) {
      const list = (this.commitments.get(c.org) ?? []).filter((o) => o.from !== c.from);
      list.push(c);
      this.commitments.set(
        c.org,
        list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0)),
      );
    }
    for (const g of data.credits) this.credits.set(g.org, [...(this.credits.get(g.org) ?? []), g]);
  }

  /**
   * The entry that prices `org`'s usage of `sku` at `hourMs`: the org's contract entry in force
   * then if there is one, else the list entry in force; undefined when neither is.
   */
  entryAt(org: OrgId, sku: string, hourMs: number): TermPriceEntry | undefined {
    return (
      inForce(this.entries.get(entryKey(sku, org)), hourMs) ?? inForce(this.entries.get(entryKey(sku, null)), hourMs)
    );
  }

  /** The hours in [from, to) at which the entry pricing `org`'s `sku` may change, ascending: where segments must be cut. */
  boundaries(org: OrgId, sku: string, from: number, to: number): number[] {
    const starts = [...(this.entries.get(entryKey(sku, org)) ?? []), ...(this.entries.get(entryKey(sku, null)) ?? [])]
      .map((e) => e.effectiveFrom)
      .filter((t) => t > from && t < to);
    return [...new Set(starts)].sort((a, b) => a - b);
  }

  /** The monthly minimum in force for `org` in `period` (zero when none). */
  minimumFor(org: OrgId, period: Period): Dec {
    let found: Commitment | undefined;
    for (const c of this.commitments.get(org) ?? []) if (c.from <= period) found = c;
    return found ? Dec.of(found.monthlyMinimum) : Dec.ZERO;
  }

  grantsOf(org: OrgId): readonly CreditGrant[] {
    return this.credits.get(org) ?? [];
  }
}

/** The last entry with effectiveFrom <= at, of a list sorted by effectiveFrom. */
function inForce(list: readonly TermPriceEntry[] | undefined, at: number): TermPriceEntry | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length; // first index with effectiveFrom > at
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.effectiveFrom <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : list[lo - 1];
}
