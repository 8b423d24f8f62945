import type { OrgId, Period } from '@metering/domain';
import type { InvoiceLine } from './invoice';

interface DocumentEvent {
  number: string;
  org: OrgId;
  period: Period;
  currency: 'USD';
  /** Epoch ms. */
  issued_at: number;
  total: string;
  content_hash: string;
  lines: InvoiceLine[];
}

/** An invoice was issued: closing a period makes one per invoice. */
export interface InvoiceFinalized extends DocumentEvent {
  type: 'invoice.finalized';
  invoice: null;
}

/** A credit note voided `invoice`. */
export interface CreditNoteIssued extends DocumentEvent {
  type: 'credit_note.issued';
  invoice: string;
}

/** What billing tells the world on billing.invoices.v1 (key = organization). */
export type BillingEvent = InvoiceFinalized | CreditNoteIssued;
