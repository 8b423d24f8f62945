import type { OrgId } from '@metering/domain';
import type { Period } from '@metering/domain';

/** One tier of a tiered rate: units up to and including `upTo` (null: all the rest). */
export interface Tier {
  upTo: string | null;
  unitPrice: string;
}

export type TierMode = 'graduated' | 'volume';

export type Rate = { kind: 'flat'; unitPrice: string } | { kind: 'tiered'; mode: TierMode; tiers: readonly Tier[] };

/**
 * One entry of the effective-dated price book: a list price (`org` null) or one organization's
 * contract price. It holds from `effectiveFrom` (epoch ms, the start of a UTC hour) until the
 * next entry of the same (sku, org).
 */
export interface TermPriceEntry {
  id: string;
  sku: string;
  org: OrgId | null;
  effectiveFrom: number;
  unit: string;
  rate: Rate;
}

/** A monthly minimum from `from` on, until the org's next commitment; "0" ends it. */
export interface Commitment {
  org: OrgId;
  from: Period;
  monthlyMinimum: string;
}

/** Money granted to an organization, spent by closes and given back by voids. */
export interface CreditGrant {
  id: string;
  org: OrgId;
  amount: string;
  remaining: string;
  grantedAt: number; // epoch ms
  expiresAt: number | null; // epoch ms
  reason: string;
}

/** Usage of one SKU from `hour` (epoch ms) on, all of it priced by the entry in force at `hour`:
 *  an hourly row, or a longer stretch that the caller cut at every price-entry boundary. */
export interface UsageSegment {
  sku: string;
  hour: number;
  quantity: string;
}

/**
 * An invoice line as the terms make it. Usage and adjustment lines are the existing
 * `InvoiceLine` of ../invoice.ts; minimum and credit lines are money only, so their sku,
 * quantity, unit and unit_price are null.
 */
export interface ItemLine {
  kind: 'usage' | 'adjustment';
  sku: string;
  usage_period: Period;
  quantity: string;
  unit: string;
  unit_price: string;
  amount: string;
  description: string;
}

export interface MoneyLine {
  kind: 'minimum' | 'credit';
  sku: null;
  usage_period: Period;
  quantity: null;
  unit: null;
  unit_price: null;
  amount: string;
  description: string;
}

export type TermsLine = ItemLine | MoneyLine;
