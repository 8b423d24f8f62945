import type { OrgId, Period } from '@metering/domain';
import type { InvoiceLine } from './invoice';

/** An invoice or credit note as issued: content, number, time and hash. */
export interface IssuedDocument {
  number: string;
  seq: bigint;
  org: OrgId;
  period: Period;
  currency: 'USD';
  issued_at: string;
  lines: InvoiceLine[];
  total: string;
  content_hash: string;
}

/** A credit note as issued: it negates every line of `invoice`. */
export interface IssuedCreditNote extends IssuedDocument {
  invoice: string;
  reason: string;
}

/** What a close answers of each invoice it made. */
export interface InvoiceSummary {
  number: string;
  org: OrgId;
  total: string;
  content_hash: string;
}

export function summaryOf({ number, org, total, content_hash }: IssuedDocument): InvoiceSummary {
  return { number, org, total, content_hash };
}
