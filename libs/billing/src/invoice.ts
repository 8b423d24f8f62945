import { createHash } from 'node:crypto';
import { Dec, OrgId, Period, sumDec } from '@metering/domain';
import type { BillingTerms } from './billing-terms';
import { applyCredits, type CreditUse } from './terms/credits';
import { repriceLateMonth, type BilledLine } from './terms/late';
import { linesTotal, moneyLine, priceMonth } from './terms/pricing';
import type { TermsLine, UsageSegment } from './terms/types';

/**
 * An invoice line: `usage` and `adjustment` lines bill a quantity of a SKU at a unit price;
 * `minimum` and `credit` lines are money only (their sku, quantity, unit and unit price null).
 */
export type InvoiceLine = TermsLine;

/** A closed month of an organization that grew (or shrank) since it was invoiced: all it holds now, and what was billed for it. */
export interface LateMonth {
  period: Period;
  usage: UsageSegment[];
  billed: BilledLine[];
}

/** What a close of one organization bills from: the period's usage, and its closed months that changed. */
export interface OrgBillable {
  usage: UsageSegment[];
  late: LateMonth[];
}

/** What a close bills from, as read in one snapshot, per organization. */
export type BillableUsage = Map<OrgId, OrgBillable>;

/** What an invoice says, before it has a number: the part its content hash covers, with the number. */
export interface InvoiceContent {
  number: string | null;
  org: OrgId;
  period: Period;
  currency: 'USD';
  lines: InvoiceLine[];
  total: string;
}

/** A draft, the credit it draws from each grant (the movements the close records), and the balance it carries forward as credit. */
export interface Draft {
  content: InvoiceContent;
  credits: CreditUse[];
  carriedForward: string | null;
}

export const CARRIED_FORWARD = 'Balance carried forward as credit to the next invoices';

const lateOrder = (a: InvoiceLine, b: InvoiceLine) =>
  a.usage_period.localeCompare(b.usage_period) ||
  (a.kind === b.kind ? 0 : a.kind === 'adjustment' ? -1 : 1) ||
  (a.sku ?? '').localeCompare(b.sku ?? '') ||
  Dec.of(a.unit_price ?? '0').cmp(Dec.of(b.unit_price ?? '0'));

/**
 * The invoice `org` gets for `period` under `terms`, or null when there is nothing to bill. In
 * order: the period's usage lines (per SKU and unit price, a line per tier reached) and its
 * minimum; then, per earlier closed month that changed, that month priced again with all it
 * holds less what was billed for it (adjustment lines, and the minimum's difference); then the
 * organization's credit, soonest to expire first, until the total is 0. Amounts are rounded
 * half-to-even to cents per line; the total is the sum of the lines and never negative: a
 * negative balance is carried forward as a credit grant (`carriedForward`).
 */
export function draftInvoice(
  org: OrgId,
  period: Period,
  billable: OrgBillable,
  { terms }: BillingTerms,
  closeTime: number,
): Draft | null {
  const lines: InvoiceLine[] = priceMonth(org, period, billable.usage, terms);
  const late = billable.late.flatMap((m) => repriceLateMonth(org, m.period, m.usage, terms, m.billed));
  lines.push(...late.sort(lateOrder));
  const reasons = new Map(terms.grantsOf(org).map((g) => [g.id, g.reason]));
  const credited = applyCredits(linesTotal(lines), terms.grantsOf(org), period, closeTime);
  credited.lines.forEach((l, i) => {
    const reason = reasons.get(credited.used[i]!.grantId);
    lines.push(reason ? { ...l, description: `Credit: ${reason}` } : l);
  });
  // Late usage priced lower than billed (a volume tier reached, a correction) can outweigh the
  // month's charges: the total stays 0 and the balance becomes credit for the next invoices.
  const total = linesTotal(lines);
  const carriedForward = total.cmp(Dec.ZERO) < 0 ? total.neg().toFixed(2) : null;
  if (carriedForward !== null)
    lines.push({ ...moneyLine('credit', period, total.neg()), description: CARRIED_FORWARD });
  if (lines.length === 0) return null;
  return { content: invoiceContent(null, org, period, lines), credits: credited.used, carriedForward };
}

/**
 * Every invoice closing `period` makes, in slug order: one for each organization with usage to
 * bill, late usage of a closed month, or a minimum in force for the period.
 */
export function draftInvoices(period: Period, usage: BillableUsage, terms: BillingTerms, closeTime: number): Draft[] {
  const orgs = new Set<OrgId>(usage.keys());
  for (const c of terms.terms.data.commitments)
    if (terms.terms.minimumFor(c.org, period).cmp(Dec.ZERO) > 0) orgs.add(c.org);
  const drafts: Draft[] = [];
  for (const org of [...orgs].sort()) {
    const d = draftInvoice(org, period, usage.get(org) ?? { usage: [], late: [] }, terms, closeTime);
    if (d) drafts.push(d);
  }
  return drafts;
}

export function totalOf(lines: readonly Pick<InvoiceLine, 'amount'>[]): string {
  return sumDec(lines.map((l) => Dec.of(l.amount))).toFixed(2);
}

export function invoiceContent(
  number: string | null,
  org: OrgId,
  period: Period,
  lines: InvoiceLine[],
): InvoiceContent {
  return { number, org, period, currency: 'USD', lines, total: totalOf(lines) };
}

/** JSON with object keys sorted at every depth and no white space: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the canonical JSON; issue time and status are left out, so a replay hashes the same. */
export function contentHash(content: object): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** A credit note's lines: every line of the invoice, negated. */
export function negatedLines(lines: readonly InvoiceLine[]): InvoiceLine[] {
  return lines.map((l): InvoiceLine =>
    l.quantity === null
      ? { ...l, amount: Dec.of(l.amount).neg().toFixed(2), description: `Credit: ${l.description}` }
      : {
          ...l,
          quantity: Dec.of(l.quantity).neg().toString(),
          amount: Dec.of(l.amount).neg().toFixed(2),
          description: `Credit: ${l.description}`,
        },
  );
}
