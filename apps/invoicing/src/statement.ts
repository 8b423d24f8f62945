import type { PoolClient } from 'pg';
import { draftInvoice, InvoiceContent, Period, PricedUsage, PriceBook } from '@metering/billing';
import type { BillingRepository, UsageByOrg } from '@metering/db';

function merge(into: Map<string, PricedUsage[]>, from: UsageByOrg): void {
  for (const [org, list] of from) into.set(org, [...(into.get(org) ?? []), ...list]);
}

/**
 * The invoices closing `period` would make now, read in the client's snapshot: usage of the
 * period and late usage of earlier closed periods, less what was already billed. One per
 * organization with anything to bill, in slug order.
 */
export async function draftInvoices(billing: BillingRepository, db: PoolClient, period: Period, book: PriceBook, org?: string): Promise<InvoiceContent[]> {
  const projected = new Map<string, PricedUsage[]>();
  const billed = new Map<string, PricedUsage[]>();
  for (const p of [period, ...(await billing.periodsWithLateUsage(db, period, org))]) {
    merge(projected, await billing.projected(db, p, book, org));
    merge(billed, await billing.billed(db, p, org));
  }
  const unitOf = (sku: string) => book.unitOf(sku);
  const drafts: InvoiceContent[] = [];
  for (const o of [...projected.keys()].sort()) {
    const draft = draftInvoice(o, period, projected.get(o)!, billed.get(o) ?? [], unitOf);
    if (draft) drafts.push(draft);
  }
  return drafts;
}
