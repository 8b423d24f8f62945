import { Type } from 'avsc';
import { readSchemaFile } from './schema-file';

export const BILLING_EVENT_SCHEMA = 'metering.billing.v1.BillingDocumentEvent';

export interface BillingEvent {
  type: 'invoice.finalized' | 'credit_note.issued';
  number: string;
  org: string;
  period: string;
  invoice: string | null;
  currency: string;
  issued_at: number;
  total: string;
  content_hash: string;
  lines: { kind: string; sku: string; usage_period: string; quantity: string; unit: string; unit_price: string; amount: string; description: string }[];
}

const billingType = Type.forSchema(JSON.parse(readSchemaFile('billing-event.avsc')));

export function encodeBillingEvent(e: BillingEvent): Buffer {
  return billingType.toBuffer(e);
}

export function decodeBillingEvent(buf: Buffer): BillingEvent {
  return billingType.fromBuffer(buf) as BillingEvent;
}
