import type { OrgId, Period } from '@metering/domain';
import type { CreditNoteIssued } from './billing-event';
import type { IssuedCreditNote } from './documents';
import { contentHash, InvoiceLine, negatedLines, totalOf } from './invoice';
import { documentNumber } from './numbers';

/** Void invoice `number`, as the billing team asked. */
export interface VoidInvoice {
  number: string;
  reason: string;
  /** RFC 3339: when the credit note is issued. Not part of its hash. */
  issuedAt: string;
}

/** The invoice as recorded, and whether a credit note voided it already. */
export interface RecordedInvoice {
  number: string;
  org: OrgId;
  period: Period;
  lines: readonly InvoiceLine[];
  /** The number of the credit note that voided it; null while it stands. */
  credit_note: string | null;
}

/** What the void read under the billing lock: the invoice (null when there is none) and the first free number. */
export interface VoidState {
  invoice: RecordedInvoice | null;
  firstNumber: bigint;
  /** What the invoice drew from credit grants, per grant. */
  creditsDrawn: readonly CreditReturn[];
}

/** Credit given back to a grant: what the voided invoice drew from it. */
export interface CreditReturn {
  grantId: string;
  amount: string;
}

export type VoidDecision =
  /** The credit note to write, negating every line, the event that announces it, and the credit given back to each grant. */
  | { type: 'InvoiceVoided'; creditNote: IssuedCreditNote; event: CreditNoteIssued; creditReturned: CreditReturn[] }
  /** Voided before: nothing to write; `creditNote` is the number of the credit note that did it. */
  | { type: 'AlreadyVoid'; invoice: string; creditNote: string }
  | { type: 'UnknownInvoice'; invoice: string };

/**
 * Voiding an invoice, decided: a credit note from the shared sequence that negates every
 * line, hashed over its content (with the invoice it voids, never its issue time), and the
 * credit the invoice drew given back to its grants. The invoice itself never changes; it reads
 * `void` once the credit note exists.
 */
export function decideVoid(state: VoidState, command: VoidInvoice): VoidDecision {
  const invoice = state.invoice;
  if (!invoice) return { type: 'UnknownInvoice', invoice: command.number };
  if (invoice.credit_note) return { type: 'AlreadyVoid', invoice: invoice.number, creditNote: invoice.credit_note };
  const lines = negatedLines(invoice.lines);
  const content = {
    number: documentNumber('credit-note', state.firstNumber),
    invoice: invoice.number,
    org: invoice.org,
    period: invoice.period,
    currency: 'USD' as const,
    lines,
    total: totalOf(lines),
  };
  const hash = contentHash(content);
  const creditNote: IssuedCreditNote = {
    ...content,
    seq: state.firstNumber,
    issued_at: command.issuedAt,
    content_hash: hash,
    reason: command.reason,
  };
  const event: CreditNoteIssued = {
    type: 'credit_note.issued',
    ...content,
    issued_at: Date.parse(command.issuedAt),
    content_hash: hash,
  };
  return { type: 'InvoiceVoided', creditNote, event, creditReturned: [...state.creditsDrawn] };
}
