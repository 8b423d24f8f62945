import { Dec, OrgId, sumDec } from '@metering/domain';
import { periodBounds, Period } from '@metering/domain';
import { MissingPriceError } from '../price-book';
import { describeLine } from './describe';
import type { Terms } from './terms';
import type { ItemLine, MoneyLine, Tier, TermPriceEntry, TermsLine, UsageSegment } from './types';

/** A quantity at one unit price: what a line is made of before it is rounded. */
export interface Part {
  unitPrice: Dec;
  quantity: Dec;
}

/**
 * The `usage` lines of `org`'s month: one per (sku, unit price), quantity × unit price rounded
 * half-to-even to cents per line. Tiers count per SKU over the calendar month from its first
 * hour, across price changes: graduated hours fill the tiers by the running total (an hour
 * that crosses a boundary is split), volume hours are priced at the tier the month's total
 * reaches, flat hours at their price; flat hours count towards the running total too.
 * Segments may come in any order; those of the same (sku, hour) are added up first.
 * Throws MissingPriceError for usage at an hour where its SKU has no entry in force.
 */
export function priceUsage(org: OrgId, period: Period, usage: readonly UsageSegment[], terms: Terms): ItemLine[] {
  const { from, to } = periodBounds(period);
  const bySku = new Map<string, Map<number, Dec>>();
  for (const s of usage) {
    if (!(s.hour >= from && s.hour < to))
      throw new RangeError(`usage of ${s.sku} at ${new Date(s.hour).toISOString()} is not in ${period}`);
    const hours = bySku.get(s.sku) ?? new Map<number, Dec>();
    hours.set(s.hour, (hours.get(s.hour) ?? Dec.ZERO).add(Dec.of(s.quantity)));
    bySku.set(s.sku, hours);
  }
  const lines: ItemLine[] = [];
  for (const sku of [...bySku.keys()].sort()) {
    const hours = [...bySku.get(sku)!].sort(([a], [b]) => a - b);
    const monthTotal = sumDec(hours.map(([, q]) => q));
    const byPrice = new Map<string, { unitPrice: Dec; quantity: Dec; unit: string }>();
    let running = Dec.ZERO;
    for (const [hour, quantity] of hours) {
      if (quantity.cmp(Dec.ZERO) < 0)
        throw new RangeError(`usage of ${sku} at ${new Date(hour).toISOString()} is negative (${quantity.toString()})`);
      const entry = terms.entryAt(org, sku, hour);
      if (!entry)
        throw new MissingPriceError(`no price for '${sku}' in force at ${new Date(hour).toISOString()} for ${org}`);
      for (const part of partsOf(entry, running, quantity, monthTotal)) {
        if (part.quantity.isZero()) continue;
        const k = part.unitPrice.toString();
        const prev = byPrice.get(k);
        byPrice.set(k, {
          unitPrice: part.unitPrice,
          quantity: (prev?.quantity ?? Dec.ZERO).add(part.quantity),
          unit: prev?.unit ?? entry.unit,
        });
      }
      running = running.add(quantity);
    }
    // In the order first used: hour order, and tier order within an hour, so a tiered SKU reads tier by tier.
    for (const { unitPrice, quantity, unit } of byPrice.values()) {
      lines.push({
        kind: 'usage',
        sku,
        usage_period: period,
        quantity: quantity.toString(),
        unit,
        unit_price: unitPrice.toString(),
        amount: quantity.mul(unitPrice).toFixed(2),
        description: describeLine('usage', sku, period),
      });
    }
  }
  return lines;
}

/** How `entry` prices `quantity` units that follow the month's first `before` units, of a month of `monthTotal`. */
export function partsOf(entry: TermPriceEntry, before: Dec, quantity: Dec, monthTotal: Dec): Part[] {
  const rate = entry.rate;
  if (rate.kind === 'flat') return [{ unitPrice: Dec.of(rate.unitPrice), quantity }];
  if (rate.mode === 'volume')
    return [{ unitPrice: Dec.of(tierReached(entry, rate.tiers, monthTotal).unitPrice), quantity }];
  return graduatedParts(entry, rate.tiers, before, before.add(quantity));
}

/** The units (start, end] of the month split over the tiers: tier i holds (upTo of i-1, upTo of i]. */
function graduatedParts(entry: TermPriceEntry, tiers: readonly Tier[], start: Dec, end: Dec): Part[] {
  const parts: Part[] = [];
  let lower = Dec.ZERO;
  for (const tier of tiers) {
    const upper = tier.upTo === null ? null : Dec.of(tier.upTo);
    const lo = max(lower, start);
    const hi = upper === null ? end : min(upper, end);
    if (hi.cmp(lo) > 0) parts.push({ unitPrice: Dec.of(tier.unitPrice), quantity: hi.sub(lo) });
    if (upper === null || upper.cmp(end) >= 0) return parts;
    lower = upper;
  }
  throw new RangeError(
    `price entry ${entry.id} (${entry.sku}) has no tier for unit ${end.toString()}: its last tier must be unbounded`,
  );
}

/** Unit number n falls in the first tier whose upTo >= n. */
function tierReached(entry: TermPriceEntry, tiers: readonly Tier[], n: Dec): Tier {
  const tier = tiers.find((t) => t.upTo === null || Dec.of(t.upTo).cmp(n) >= 0);
  if (!tier)
    throw new RangeError(
      `price entry ${entry.id} (${entry.sku}) has no tier for unit ${n.toString()}: its last tier must be unbounded`,
    );
  return tier;
}

const max = (a: Dec, b: Dec) => (a.cmp(b) >= 0 ? a : b);
const min = (a: Dec, b: Dec) => (a.cmp(b) <= 0 ? a : b);

/**
 * The `minimum` line of `org`'s month: when the month's usage lines add up to less than the
 * minimum in force for it, the difference; otherwise null.
 */
export function minimumLine(
  org: OrgId,
  period: Period,
  usageLines: readonly Pick<TermsLine, 'kind' | 'amount' | 'usage_period'>[],
  terms: Terms,
): MoneyLine | null {
  const minimum = terms.minimumFor(org, period);
  const used = sumDec(
    usageLines.filter((l) => l.kind === 'usage' && l.usage_period === period).map((l) => Dec.of(l.amount)),
  );
  if (used.cmp(minimum) >= 0) return null;
  return moneyLine('minimum', period, minimum.sub(used));
}

export function moneyLine(kind: MoneyLine['kind'], period: Period, amount: Dec): MoneyLine {
  return {
    kind,
    sku: null,
    usage_period: period,
    quantity: null,
    unit: null,
    unit_price: null,
    amount: amount.toFixed(2),
    description: describeLine(kind, null, period),
  };
}

/** What `org`'s month costs before credits: its usage lines, then the minimum's line if it has one. */
export function priceMonth(org: OrgId, period: Period, usage: readonly UsageSegment[], terms: Terms): TermsLine[] {
  const lines: TermsLine[] = priceUsage(org, period, usage, terms);
  const minimum = minimumLine(org, period, lines, terms);
  if (minimum) lines.push(minimum);
  return lines;
}

/** Σ amounts, to the cent. */
export function linesTotal(lines: readonly Pick<TermsLine, 'amount'>[]): Dec {
  return sumDec(lines.map((l) => Dec.of(l.amount)));
}
