import type { OrgId, Period } from '@metering/domain';
import type { InvoiceFinalized } from './billing-event';
import { InvoiceSummary, IssuedDocument, summaryOf } from './documents';
import { BillableUsage, contentHash, draftInvoices, InvoiceContent } from './invoice';
import type { TermsData } from './terms/terms';
import { documentNumber } from './numbers';
import type { BillingTerms } from './billing-terms';

/** The billing team's month end. */
export interface ClosePeriod {
  period: Period;
  /** RFC 3339: the time every invoice of the close is issued at. Not part of any hash. */
  issuedAt: string;
}

/** What the close read, in one snapshot under the billing lock. */
export type CloseState =
  /** The period was closed before: the invoices that close made, in number order. */
  | { status: 'closed'; invoices: readonly InvoiceSummary[] }
  /** Not closed yet: what there is to bill, the terms to bill it by, and the first free number of the shared sequence. */
  | { status: 'open'; usage: BillableUsage; terms: BillingTerms; firstNumber: bigint };

/** Credit an invoice of the close draws from a grant. */
export interface CreditDrawn {
  invoice: string;
  grantId: string;
  amount: string;
}

/** A negative balance an invoice of the close turns into a credit grant for the next ones. */
export interface CarriedForward {
  invoice: string;
  org: OrgId;
  amount: string;
}

export type CloseDecision =
  /**
   * The invoices to write, numbered from `firstNumber` on in slug order, one `invoice.finalized`
   * event each, the credit each invoice draws from each grant, and the terms the close priced
   * with (recorded with it, so that a replay prices alike).
   */
  | {
      type: 'PeriodClosed';
      period: Period;
      invoices: IssuedDocument[];
      events: InvoiceFinalized[];
      credits: CreditDrawn[];
      carriedForward: CarriedForward[];
      terms: TermsData;
    }
  /** Nothing to write: a second close answers the invoices of the first. */
  | { type: 'AlreadyClosed'; period: Period; invoices: readonly InvoiceSummary[] };

/** A draft issued as number `seq` at `issuedAt`: the hash covers the content with its number, not the time. */
export function issueInvoice(draft: InvoiceContent, seq: bigint, issuedAt: string): IssuedDocument {
  const content = { ...draft, number: documentNumber('invoice', seq) };
  return { ...content, seq, issued_at: issuedAt, content_hash: contentHash(content) };
}

export function finalizedEvent(d: IssuedDocument): InvoiceFinalized {
  return {
    type: 'invoice.finalized',
    number: d.number,
    org: d.org,
    period: d.period,
    invoice: null,
    currency: d.currency,
    issued_at: Date.parse(d.issued_at),
    total: d.total,
    content_hash: d.content_hash,
    lines: d.lines,
  };
}

/**
 * Closing a period, decided: one invoice per organization with anything to bill, numbered
 * gaplessly from the first free number in slug order, each hashed over its content (never its
 * issue time), and the event that announces it. Pure: the caller reads the state, takes the
 * numbers from the sequence and writes what is decided.
 */
export function decideClose(state: CloseState, command: ClosePeriod): CloseDecision {
  if (state.status === 'closed') return { type: 'AlreadyClosed', period: command.period, invoices: state.invoices };
  const drafts = draftInvoices(command.period, state.usage, state.terms, Date.parse(command.issuedAt));
  const invoices = drafts.map((d, i) => issueInvoice(d.content, state.firstNumber + BigInt(i), command.issuedAt));
  const credits = drafts.flatMap((d, i) =>
    d.credits.map((c) => ({ invoice: invoices[i]!.number, grantId: c.grantId, amount: c.amount })),
  );
  const carriedForward = drafts.flatMap((d, i) =>
    d.carriedForward === null ? [] : [{ invoice: invoices[i]!.number, org: d.content.org, amount: d.carriedForward }],
  );
  return {
    type: 'PeriodClosed',
    period: command.period,
    invoices,
    events: invoices.map(finalizedEvent),
    credits,
    carriedForward,
    terms: state.terms.terms.data,
  };
}

/** What a close answers: the invoices it made, or those the first close made. */
export function closedInvoices(decision: CloseDecision): readonly InvoiceSummary[] {
  return decision.type === 'PeriodClosed' ? decision.invoices.map(summaryOf) : decision.invoices;
}
