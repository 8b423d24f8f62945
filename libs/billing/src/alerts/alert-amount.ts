import { Dec, OrgId, Period } from '@metering/domain';
import { estimateMonth } from '../terms/estimate-month';
import { linesTotal, priceUsage } from '../terms/pricing';
import type { Terms } from '../terms/terms';
import type { UsageSegment } from '../terms/types';

/** What an alert watches: all of an organization's spend, or one app's, or SKUs under a prefix. */
export interface AlertScope {
  app: string | null;
  skuPrefix: string | null;
}

export const isNarrowed = (s: AlertScope): boolean => s.app !== null || s.skuPrefix !== null;

/**
 * The month's estimated cost an alert compares with its threshold. Unnarrowed, exactly what
 * `usage/current` says (usage under the organization's terms, its minimum, its credits).
 * Narrowed to an app or a SKU prefix, the usage lines of that usage alone (`usage` is then the
 * narrowed usage): a minimum or a credit belongs to the whole bill, not to a part of it.
 */
export function alertAmount(
  org: OrgId,
  period: Period,
  scope: AlertScope,
  usage: readonly UsageSegment[],
  terms: Terms,
  now: number,
): Dec {
  if (!isNarrowed(scope)) return Dec.of(estimateMonth(org, period, usage, terms, now).total);
  return linesTotal(priceUsage(org, period, usage, terms));
}

/** An alert fires when the amount reaches its threshold or passes it. */
export function crossed(amount: Dec, threshold: Dec): boolean {
  return amount.cmp(threshold) >= 0;
}
