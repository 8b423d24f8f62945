import { Dec, OrgId, periodBounds, Period } from '@metering/domain';
import { applyCredits } from './credits';
import { linesTotal, priceMonth } from './pricing';
import type { Terms } from './terms';
import type { TermsLine, UsageSegment } from './types';

const HOUR = 3_600_000;
/** Places of an extrapolated quantity: the projections keep quantities to 9. */
const QUANTITY_PLACES = 9;

export interface MonthEstimate {
  /** Usage lines per (sku, unit price), then the minimum's line, then a credit line per grant drawn on. */
  lines: TermsLine[];
  /** Σ lines: what the invoice would say if the month closed now. Never below zero. */
  total: string;
  /** The total if the rest of the month runs like the part so far, priced and credited the same way. */
  forecast: string;
}

/**
 * The open month of `org` so far, as its invoice would price it at `now`: `usage` (segments of
 * the month, see priceUsage) priced under its terms, its minimum, and the credits a close now
 * would draw on (the total never below zero). The forecast adds to each SKU the rest of the
 * month at the rate so far, cut where its entry changes, and prices that month the same way:
 * tiers then fill as the month would fill them, which scaling the amount so far would not do
 * (a free allowance not yet used up would forecast nothing).
 */
export function estimateMonth(
  org: OrgId,
  period: Period,
  usage: readonly UsageSegment[],
  terms: Terms,
  now: number,
): MonthEstimate {
  const { from, to } = periodBounds(period);
  if (!(now >= from && now < to))
    throw new RangeError(`${new Date(now).toISOString()} is not in the open month ${period}`);
  const so = priced(org, period, usage, terms, now);
  const rest = extrapolated(org, usage, terms, from, to, now);
  return { lines: so.lines, total: so.total, forecast: priced(org, period, [...usage, ...rest], terms, now).total };
}

function priced(org: OrgId, period: Period, usage: readonly UsageSegment[], terms: Terms, now: number) {
  const lines = priceMonth(org, period, usage, terms);
  const credits = applyCredits(linesTotal(lines), terms.grantsOf(org), period, now);
  return { lines: [...lines, ...credits.lines], total: credits.total };
}

/** Per SKU, the usage of [now, to) at the rate of [from, now): one segment per stretch of one entry. */
function extrapolated(
  org: OrgId,
  usage: readonly UsageSegment[],
  terms: Terms,
  from: number,
  to: number,
  now: number,
): UsageSegment[] {
  const elapsed = BigInt(Math.max(1, now - from));
  const soFar = new Map<string, Dec>();
  for (const u of usage) soFar.set(u.sku, (soFar.get(u.sku) ?? Dec.ZERO).add(Dec.of(u.quantity)));
  const rest: UsageSegment[] = [];
  for (const [sku, quantity] of [...soFar].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (quantity.isZero()) continue;
    const cuts = [now, ...terms.boundaries(org, sku, now, to), to];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const part = quantity.scaleBy(BigInt(cuts[i + 1]! - cuts[i]!), elapsed, QUANTITY_PLACES);
      if (!part.isZero()) rest.push({ sku, hour: Math.floor(cuts[i]! / HOUR) * HOUR, quantity: part.toString() });
    }
  }
  return rest;
}
