import { Dec, OrgId, Period } from '@metering/domain';
import type { BilledLine } from './terms/late';
import { priceMonth } from './terms/pricing';
import type { Terms } from './terms/terms';
import type { UsageSegment } from './terms/types';

/** A closed month's SKU (or its minimum, sku null) whose invoices disagree with pricing its usage now. */
export interface Difference {
  org: OrgId;
  usage_period: Period;
  sku: string | null;
  projected: string;
  billed: string;
  projected_amount: string;
  billed_amount: string;
}

interface Sums {
  quantity: Dec;
  amount: Dec;
}

const add = (m: Map<string | null, Sums>, sku: string | null, quantity: string | null, amount: string) => {
  const prev = m.get(sku) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
  m.set(sku, { quantity: prev.quantity.add(Dec.of(quantity ?? '0')), amount: prev.amount.add(Dec.of(amount)) });
};

/**
 * The invariant of a closed month, checked for one organization: all its invoices' lines for the
 * month (usage, adjustment and minimum; credits are not usage) add up, per SKU in quantity and
 * amount and for the minimum in amount, to pricing the month's usage now at once. Where they do
 * not, late usage waits for the next close, or something is wrong.
 */
export function reconcileMonth(
  org: OrgId,
  period: Period,
  usage: readonly UsageSegment[],
  terms: Terms,
  billed: readonly BilledLine[],
): Difference[] {
  const projected = new Map<string | null, Sums>();
  for (const l of priceMonth(org, period, usage, terms)) add(projected, l.sku, l.quantity, l.amount);
  const invoiced = new Map<string | null, Sums>();
  for (const l of billed) if (l.kind !== 'credit') add(invoiced, l.sku, l.quantity, l.amount);
  const differences: Difference[] = [];
  const skus = [...new Set([...projected.keys(), ...invoiced.keys()])].sort((a, b) =>
    (a ?? '\uffff').localeCompare(b ?? '\uffff'),
  );
  for (const sku of skus) {
    const p = projected.get(sku) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
    const b = invoiced.get(sku) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
    if (p.quantity.cmp(b.quantity) === 0 && p.amount.cmp(b.amount) === 0) continue;
    differences.push({
      org,
      usage_period: period,
      sku,
      projected: p.quantity.toString(),
      billed: b.quantity.toString(),
      projected_amount: p.amount.toFixed(2),
      billed_amount: b.amount.toFixed(2),
    });
  }
  return differences;
}
