import { Inject, Injectable } from '@nestjs/common';
import {
  decideVoid,
  Difference,
  reconcileMonth,
  draftInvoices,
  InvoiceLine,
  parseDocumentNumber,
  Terms,
  totalOf,
} from '@metering/billing';
import {
  BillingLock,
  BillingRepository,
  CreditNoteView,
  DocumentsRepository,
  OutboxRepository,
  TermsRepository,
} from '@metering/db';
import { OrgId, parsePeriod, Period } from '@metering/domain';
import { billingEventMessage } from '@metering/kafka';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { InvalidPeriodError, UnknownDocumentError } from './errors';

export interface Preview {
  number: null;
  org: OrgId;
  period: Period;
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
    private readonly lock: BillingLock,
    private readonly billing: BillingRepository,
    private readonly documents: DocumentsRepository,
    private readonly outbox: OutboxRepository,
    private readonly terms: TermsRepository,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  /**
   * Voids an invoice by issuing a credit note that negates every line (`decideVoid`); the
   * invoice stays as it was and reads `void` from then on. Voiding a void invoice answers its
   * credit note.
   */
  async void(number: string, reason = ''): Promise<{ created: boolean; credit_note: CreditNoteView }> {
    if (parseDocumentNumber(number)?.kind !== 'invoice') throw new UnknownDocumentError(number);
    const decision = await this.lock.underLock(async (client) => {
      const invoice = await this.documents.invoiceForOperator(number, client);
      const firstNumber = await this.documents.firstFreeNumber(client);
      const creditsDrawn = invoice ? await this.documents.creditsApplied(client, invoice.number) : [];
      const decided = decideVoid(
        { invoice, firstNumber, creditsDrawn },
        { number, reason, issuedAt: new Date().toISOString() },
      );
      if (decided.type === 'InvoiceVoided') {
        await this.documents.takeNumbers(client, firstNumber, 1);
        await this.documents.insertCreditNote(client, decided.creditNote);
        await this.documents.recordCreditsReturned(client, number, decided.creditNote.number, decided.creditReturned);
        await this.outbox.insert(client, [billingEventMessage(this.config.topics.invoices, decided.event)]);
      }
      return decided;
    });
    if (decision.type === 'UnknownInvoice') throw new UnknownDocumentError(number);
    const created = decision.type === 'InvoiceVoided';
    const credit = await this.documents.creditNoteForOperator(
      created ? decision.creditNote.number : decision.creditNote,
    );
    return { created, credit_note: credit! };
  }

  /** The invoice closing `period` would make for `org` now; not stored, no number. */
  async preview(org: OrgId, text: string): Promise<Preview> {
    const period = parsePeriod(text);
    if (period === null) throw new InvalidPeriodError(text);
    const draft = await this.lock.inSnapshot(async (client) => {
      const terms = { terms: new Terms(await this.terms.snapshot(org, client)) };
      const usage = await this.billing.billableUsage(client, period, terms.terms, org);
      return draftInvoices(period, usage, terms, Date.now())[0];
    });
    const lines = draft?.content.lines ?? [];
    return {
      number: null,
      org,
      period,
      currency: 'USD',
      issued_at: null,
      status: 'preview',
      lines,
      total: totalOf(lines),
      content_hash: null,
    };
  }

  /** Per closed month, org and SKU (and minimum): its usage priced now at once against all that was billed for it, where they differ. */
  async reconcile(): Promise<{ differences: Difference[] }> {
    return this.lock.inSnapshot(async (client) => {
      const terms = new Terms(await this.terms.snapshotAllOrgs(client));
      const months = await this.billing.closedMonths(terms, client);
      return { differences: months.flatMap((m) => reconcileMonth(m.org, m.period, m.usage, terms, m.billed)) };
    });
  }
}
