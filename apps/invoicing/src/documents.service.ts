import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { contentHash, documentNumber, InvoiceLine, isPeriod, negatedLines, parseDocumentNumber, totalOf } from '@metering/billing';
import { BillingRepository, CreditNoteView, Difference, DocumentsRepository, PG_POOL } from '@metering/db';
import { BILLING_EVENT_SCHEMA, encodeBillingEvent } from '@metering/kafka';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { inSnapshot, underBillingLock } from './billing-lock';
import { InvalidPeriodError, UnknownDocumentError } from './errors';
import { draftInvoices } from './statement';

export interface Preview {
  number: null;
  org: string;
  period: string;
  currency: 'USD';
  issued_at: null;
  status: 'preview';
  lines: InvoiceLine[];
  total: string;
  content_hash: null;
}

/** Voids, previews and reconciliation: the billing team's other tools. */
@Injectable()
export class DocumentsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly billing: BillingRepository,
    private readonly documents: DocumentsRepository,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  /**
   * Voids an invoice by issuing a credit note that negates every line; the invoice stays as
   * it was and reads `void` from then on. Voiding a void invoice answers its credit note.
   */
  async void(number: string, reason = ''): Promise<{ created: boolean; credit_note: CreditNoteView }> {
    if (parseDocumentNumber(number)?.kind !== 'invoice') throw new UnknownDocumentError(number);
    const made = await underBillingLock(this.pool, async (client) => {
      const invoice = await this.documents.invoice(number, undefined, client);
      if (!invoice) throw new UnknownDocumentError(number);
      if (invoice.credit_note) return { created: false, number: invoice.credit_note };
      const seq = await this.documents.takeNumbers(client, 1);
      const lines = negatedLines(invoice.lines);
      const content = { number: documentNumber('credit-note', seq), invoice: invoice.number, org: invoice.org, period: invoice.period, currency: 'USD' as const, lines, total: totalOf(lines) };
      const issuedAt = new Date().toISOString();
      const hash = contentHash(content);
      await this.documents.insertCreditNote(client, { ...content, seq, issued_at: issuedAt, content_hash: hash }, invoice.number, reason);
      await this.documents.insertOutbox(client, [
        {
          topic: this.config.topics.invoices,
          key: invoice.org,
          headers: { schema: BILLING_EVENT_SCHEMA, type: 'credit_note.issued' },
          value: encodeBillingEvent({ type: 'credit_note.issued', ...content, issued_at: Date.parse(issuedAt), content_hash: hash }),
        },
      ]);
      return { created: true, number: content.number };
    });
    const credit = await this.documents.creditNote(made.number);
    return { created: made.created, credit_note: credit! };
  }

  /** The invoice closing `period` would make for `org` now; not stored, no number. */
  async preview(org: string, period: string): Promise<Preview> {
    if (!isPeriod(period)) throw new InvalidPeriodError(period);
    const draft = await inSnapshot(this.pool, async (client) => (await draftInvoices(this.billing, client, period, await this.billing.priceBook(client), org))[0]);
    const lines = draft?.lines ?? [];
    return { number: null, org, period, currency: 'USD', issued_at: null, status: 'preview', lines, total: totalOf(lines), content_hash: null };
  }

  /** Per closed period, org and SKU: projected against billed, where they differ. */
  async reconcile(): Promise<{ differences: Difference[] }> {
    return { differences: await this.billing.differences() };
  }
}
