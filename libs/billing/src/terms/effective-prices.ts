import { Dec, OrgId, periodBounds, periodOf, sumDec } from '@metering/domain';
import { partsOf } from './pricing';
import type { Terms } from './terms';
import type { TermPriceEntry, UsageSegment } from './types';

/** One SKU's usage over [from, to) is estimated at `unitPrice` per unit. */
export interface EstimateSpan {
  sku: string;
  from: number;
  to: number;
  unitPrice: string;
}

/**
 * Places of an hour's blended price: an hour that crosses a tier has one price per tier, and a
 * part of that hour (an app, a resource) costs its share of the hour's amount. 10^-24 per unit
 * stays below a millionth of a cent for any hour's quantity the catalog's units reach.
 */
export const BLENDED_PLACES = 24;

/**
 * The unit price at which each stretch of `org`'s usage of each SKU in [from, to) is estimated,
 * under `org`'s own terms (its contract entry where one is in force, else the list entry): per
 * SKU, spans that cover [from, to) without gaps except where no entry is in force, merged
 * where the price stays the same.
 *
 * A flat entry prices its stretch at its price. Under a tiered entry an hour's cost is its
 * share of the month's tiered amount, as the month's invoice (priceUsage) would count it:
 * graduated, the hour's units priced by the running total of the org's month so far for that
 * SKU from the month's first hour; volume, at the tier the month's total reaches (for an open
 * month, the total so far). An hour that crosses a tier boundary is priced at its blended
 * price (its amount over its quantity, to BLENDED_PLACES places); so is a part of it, pro rata.
 *
 * `hourly` is the org's usage per (sku, hour), whole months: every calendar month [from, to)
 * touches, of each SKU that a tiered entry prices anywhere in those months (see
 * `tieredSkus`); other SKUs' hours are not needed and are ignored.
 */
export function estimateSpans(
  org: OrgId,
  terms: Terms,
  skus: Iterable<string>,
  from: number,
  to: number,
  hourly: readonly UsageSegment[],
): EstimateSpan[] {
  const months = monthsOf(from, to);
  const tiered = new Set(tieredSkus(org, terms, skus, from, to));
  const perHour = hourPrices(org, terms, tiered, hourly, months);
  const spans: EstimateSpan[] = [];
  for (const sku of [...new Set(skus)].sort()) {
    const cuts = [from, ...terms.boundaries(org, sku, from, to), to];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i]!, cuts[i + 1]!];
      const entry = terms.entryAt(org, sku, a);
      if (!entry) continue;
      if (entry.rate.kind === 'flat') push(spans, { sku, from: a, to: b, unitPrice: entry.rate.unitPrice });
      else for (const s of tieredStretch(sku, entry, a, b, perHour.get(sku))) push(spans, s);
    }
  }
  return spans;
}

/** The SKUs of `skus` that a tiered entry prices for `org` at some hour of the calendar months [from, to) touches. */
export function tieredSkus(org: OrgId, terms: Terms, skus: Iterable<string>, from: number, to: number): string[] {
  const { start, end } = monthsOf(from, to);
  return [...new Set(skus)]
    .sort()
    .filter((sku) =>
      [start, ...terms.boundaries(org, sku, start, end)].some(
        (t) => terms.entryAt(org, sku, t)?.rate.kind === 'tiered',
      ),
    );
}

/** The calendar months (UTC) that [from, to) touches: from the first one's first hour to the last one's end. */
export function monthsOf(from: number, to: number): { start: number; end: number } {
  return { start: periodBounds(periodOf(from)).from, end: periodBounds(periodOf(Math.max(from, to - 1))).to };
}

/** Per tiered SKU, the price of each hour with usage that a tiered entry prices. */
function hourPrices(
  org: OrgId,
  terms: Terms,
  tiered: ReadonlySet<string>,
  hourly: readonly UsageSegment[],
  months: { start: number; end: number },
): Map<string, Map<number, Dec>> {
  // Per SKU and month, the hours in order (those of one hour added up).
  const bySkuMonth = new Map<string, Map<number, Dec>>();
  for (const h of hourly) {
    if (!tiered.has(h.sku) || h.hour < months.start || h.hour >= months.end) continue;
    const k = `${h.sku}\u0000${periodOf(h.hour)}`;
    const hours = bySkuMonth.get(k) ?? new Map<number, Dec>();
    hours.set(h.hour, (hours.get(h.hour) ?? Dec.ZERO).add(Dec.of(h.quantity)));
    bySkuMonth.set(k, hours);
  }
  const out = new Map<string, Map<number, Dec>>();
  for (const [k, hoursMap] of bySkuMonth) {
    const sku = k.slice(0, k.indexOf('\u0000'));
    const prices = out.get(sku) ?? new Map<number, Dec>();
    out.set(sku, prices);
    const hours = [...hoursMap].sort(([a], [b]) => a - b);
    const monthTotal = sumDec(hours.map(([, q]) => q));
    let running = Dec.ZERO;
    for (const [hour, quantity] of hours) {
      const entry = terms.entryAt(org, sku, hour);
      if (entry && entry.rate.kind === 'tiered' && !quantity.isZero())
        prices.set(hour, blended(partsOf(entry, running, quantity, monthTotal), quantity));
      running = running.add(quantity);
    }
  }
  return out;
}

/** The amount of `parts` per unit of `quantity`: exact when one price covers all of it. */
function blended(parts: { unitPrice: Dec; quantity: Dec }[], quantity: Dec): Dec {
  const priced = parts.filter((p) => !p.quantity.isZero());
  if (priced.length === 1) return priced[0]!.unitPrice;
  const amount = sumDec(priced.map((p) => p.quantity.mul(p.unitPrice)));
  return amount.scaleBy(10n ** BigInt(quantity.scale), quantity.units, BLENDED_PLACES);
}

/**
 * The spans of [a, b), priced by one tiered entry: the price changes at the hours where the
 * hours' prices do; an hour without usage takes the price of the hour before it (or, at the
 * start, after it), so that usage folded after the hours were read is still priced.
 */
function tieredStretch(
  sku: string,
  entry: TermPriceEntry,
  a: number,
  b: number,
  prices: ReadonlyMap<number, Dec> | undefined,
): EstimateSpan[] {
  const inside = [...(prices ?? [])].filter(([h]) => h >= a && h < b).sort(([x], [y]) => x - y);
  if (inside.length === 0) return [{ sku, from: a, to: b, unitPrice: firstTierPrice(entry) }];
  const spans: EstimateSpan[] = [];
  let start = a;
  let price = inside[0]![1];
  for (const [h, p] of inside) {
    if (p.cmp(price) === 0) continue;
    spans.push({ sku, from: start, to: h, unitPrice: price.toString() });
    [start, price] = [h, p];
  }
  spans.push({ sku, from: start, to: b, unitPrice: price.toString() });
  return spans;
}

/** A stretch without any usage read: its price matters only for usage folded since, an estimate's estimate. */
function firstTierPrice(entry: TermPriceEntry): string {
  return entry.rate.kind === 'tiered' ? entry.rate.tiers[0]!.unitPrice : entry.rate.unitPrice;
}

/** Appends, merging with the SKU's previous span when it continues it at the same price. */
function push(spans: EstimateSpan[], s: EstimateSpan): void {
  const last = spans[spans.length - 1];
  if (last && last.sku === s.sku && last.to === s.from && Dec.of(last.unitPrice).cmp(Dec.of(s.unitPrice)) === 0)
    last.to = s.to;
  else spans.push({ ...s });
}
