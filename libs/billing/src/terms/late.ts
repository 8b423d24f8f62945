import { Dec, OrgId } from '@metering/domain';
import type { Period } from '@metering/domain';
import { describeLine } from './describe';
import { priceMonth } from './pricing';
import type { Terms } from './terms';
import type { ItemLine, MoneyLine, UsageSegment } from './types';

/** A line already billed: an invoice's (or, negated, a credit note's). */
export interface BilledLine {
  kind: string;
  sku: string | null;
  usage_period: string;
  quantity: string | null;
  unit: string | null;
  unit_price: string | null;
  amount: string;
}

interface Delta {
  sku: string | null;
  unit: string | null;
  unitPrice: Dec | null;
  quantity: Dec;
  amount: Dec;
}

const MINIMUM = 'minimum';
const itemKey = (sku: string, unitPrice: Dec) => `${sku}\u0000${unitPrice.toString()}`;

/**
 * The lines that bill late usage of the closed month `period`: the month priced again with all
 * the usage it now holds, less what was billed for it (`billed`: every line of that usage
 * period on earlier invoices, and the negated lines of their credit notes; credit lines are
 * not usage and are passed over). Per (sku, unit price), whatever the kind it was billed as, an
 * `adjustment` line of the quantity and amount differences; the minimum's difference as a
 * `minimum` line. Amounts are differences of rounded amounts, so that all the invoices of the
 * month, per line key, add up to pricing its final usage at once, to the cent. A difference can
 * be negative (a volume tier reached, a correction); a zero one makes no line.
 */
export function repriceLateMonth(
  org: OrgId,
  period: Period,
  usageNow: readonly UsageSegment[],
  terms: Terms,
  billed: readonly BilledLine[],
): (ItemLine | MoneyLine)[] {
  const deltas = new Map<string, Delta>();
  const add = (k: string, d: Omit<Delta, 'quantity' | 'amount'>, quantity: Dec, amount: Dec) => {
    const prev = deltas.get(k);
    deltas.set(k, {
      sku: prev?.sku ?? d.sku,
      unit: prev?.unit ?? d.unit,
      unitPrice: prev?.unitPrice ?? d.unitPrice,
      quantity: (prev?.quantity ?? Dec.ZERO).add(quantity),
      amount: (prev?.amount ?? Dec.ZERO).add(amount),
    });
  };
  for (const l of priceMonth(org, period, usageNow, terms)) {
    if (l.kind === 'minimum') add(MINIMUM, { sku: null, unit: null, unitPrice: null }, Dec.ZERO, Dec.of(l.amount));
    else if (l.sku !== null)
      add(
        itemKey(l.sku, Dec.of(l.unit_price)),
        { sku: l.sku, unit: l.unit, unitPrice: Dec.of(l.unit_price) },
        Dec.of(l.quantity),
        Dec.of(l.amount),
      );
  }
  for (const l of billed) {
    if (l.usage_period !== period || l.kind === 'credit') continue;
    if (l.kind === 'minimum')
      add(MINIMUM, { sku: null, unit: null, unitPrice: null }, Dec.ZERO, Dec.of(l.amount).neg());
    else if (l.sku !== null && l.unit_price !== null && l.quantity !== null) {
      add(
        itemKey(l.sku, Dec.of(l.unit_price)),
        { sku: l.sku, unit: l.unit, unitPrice: Dec.of(l.unit_price) },
        Dec.of(l.quantity).neg(),
        Dec.of(l.amount).neg(),
      );
    } else throw new RangeError(`a billed ${l.kind} line of ${period} without sku, quantity or unit price`);
  }
  const items: ItemLine[] = [];
  let minimum: MoneyLine | null = null;
  for (const [k, d] of deltas) {
    if (d.quantity.isZero() && d.amount.isZero()) continue;
    if (k === MINIMUM) {
      minimum = {
        kind: 'minimum',
        sku: null,
        usage_period: period,
        quantity: null,
        unit: null,
        unit_price: null,
        amount: d.amount.toFixed(2),
        description: `${describeLine('minimum', null, period)}: adjusted for usage reported after that period was invoiced`,
      };
      continue;
    }
    items.push({
      kind: 'adjustment',
      sku: d.sku!,
      usage_period: period,
      quantity: d.quantity.toString(),
      unit: d.unit ?? '',
      unit_price: d.unitPrice!.toString(),
      amount: d.amount.toFixed(2),
      description: describeLine('adjustment', d.sku, period),
    });
  }
  items.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0) || Dec.of(a.unit_price).cmp(Dec.of(b.unit_price)));
  return minimum ? [...items, minimum] : items;
}
