import { Dec } from '@metering/domain';
import { periodBounds, Period } from '@metering/domain';
import { moneyLine } from './pricing';
import type { CreditGrant, MoneyLine } from './types';

export interface CreditUse {
  grantId: string;
  amount: string; // > 0, at most the grant's remaining
}

export interface AppliedCredits {
  /** One `credit` line per grant drawn on, amount -applied, in the order applied. */
  lines: MoneyLine[];
  /** What each grant gave: the movements a close records and a void gives back. */
  used: CreditUse[];
  /** The total after the credits: never below zero, and the total before when that was not above zero. */
  total: string;
}

/**
 * Applies an organization's grants to the invoice of `period` whose lines add up to
 * `totalBeforeCredits`: those granted before `closeTime`, with something remaining and not
 * expired at the end of the period (one that expires exactly then still covered all of it),
 * the soonest to expire first (no expiry last), then the oldest, each as far as it goes, until
 * the total is 0 or the grants are used up.
 */
export function applyCredits(
  totalBeforeCredits: Dec | string,
  grants: readonly CreditGrant[],
  period: Period,
  closeTime: number,
): AppliedCredits {
  const periodEnd = periodBounds(period).to;
  let left = typeof totalBeforeCredits === 'string' ? Dec.of(totalBeforeCredits) : totalBeforeCredits;
  const lines: MoneyLine[] = [];
  const used: CreditUse[] = [];
  for (const g of usableGrants(grants, periodEnd, closeTime)) {
    if (left.cmp(Dec.ZERO) <= 0) break;
    const remaining = Dec.of(g.remaining);
    const applied = remaining.cmp(left) <= 0 ? remaining : left;
    lines.push(moneyLine('credit', period, applied.neg()));
    used.push({ grantId: g.id, amount: applied.toFixed(2) });
    left = left.sub(applied);
  }
  return { lines, used, total: left.toFixed(2) };
}

/** The grants a close at `closeTime` of a period ending at `periodEnd` may draw on, in the order it draws. */
export function usableGrants(grants: readonly CreditGrant[], periodEnd: number, closeTime: number): CreditGrant[] {
  return grants
    .filter(
      (g) =>
        g.grantedAt < closeTime &&
        Dec.of(g.remaining).cmp(Dec.ZERO) > 0 &&
        (g.expiresAt === null || g.expiresAt >= periodEnd),
    )
    .sort(
      (a, b) =>
        (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) ||
        a.grantedAt - b.grantedAt ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}
