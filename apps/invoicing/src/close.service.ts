import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { contentHash, documentNumber, isPeriod, Period, periodBounds } from '@metering/billing';
import { BillingRepository, DocumentsRepository, InvoiceSummary, IssuedDocument, PG_POOL, ProjectionStore } from '@metering/db';
import { encodeBillingEvent, BILLING_EVENT_SCHEMA } from '@metering/kafka';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { untilFolded } from '@metering/kafka';
import { underBillingLock } from './billing-lock';
import { InvalidPeriodError, PeriodOpenError } from './errors';
import { INVOICING_KAFKA, withAdmin } from './kafka-admin';
import { draftInvoices } from './statement';

export interface CloseProgress {
  phase: 'barrier' | 'reading' | 'writing' | 'done';
  done: number;
  total: number;
}

export interface CloseResult {
  period: Period;
  created: number;
  invoices: InvoiceSummary[];
}

const WRITE_CHUNK = 1000;

/**
 * Closing a period: barrier, then one transaction that reads the projections and writes one
 * invoice per organization with anything to bill. Idempotent: a closed period answers the
 * invoices it made. Serialised with voids by the billing lock, so numbers stay gapless.
 */
@Injectable()
export class CloseService {
  private readonly log = new Logger('close');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly billing: BillingRepository,
    private readonly documents: DocumentsRepository,
    private readonly store: ProjectionStore,
    @Inject(INVOICING_KAFKA) private readonly kafka: Kafka,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  async close(period: string, opts: { onProgress?: (p: CloseProgress) => void; barrierTimeoutMs?: number; now?: number } = {}): Promise<CloseResult> {
    const progress = opts.onProgress ?? (() => undefined);
    if (!isPeriod(period)) throw new InvalidPeriodError(period);
    const { to } = periodBounds(period);
    if ((opts.now ?? Date.now()) < to) throw new PeriodOpenError(period, to);
    if (await this.documents.isClosed(this.pool, period)) {
      return { period, created: 0, invoices: await this.documents.summaries(this.pool, period) };
    }
    await withAdmin(this.kafka, (admin) =>
      untilFolded({
        admin,
        topic: this.config.topics.usage,
        stored: () => this.store.storedOffsets(this.config.consumerGroup, this.config.topics.usage),
        timeoutMs: opts.barrierTimeoutMs ?? this.config.closeBarrierTimeoutMs,
        onProgress: (p) => progress({ phase: 'barrier', done: Number(p.folded), total: Number(p.needed) }),
      }),
    );
    const started = Date.now();
    const result = await underBillingLock(this.pool, async (client) => {
      if (await this.documents.isClosed(client, period)) return { period, created: 0, invoices: await this.documents.summaries(client, period) };
      progress({ phase: 'reading', done: 0, total: 1 });
      const positions = await this.positions(client);
      const book = await this.billing.priceBook(client);
      const drafts = await draftInvoices(this.billing, client, period, book);
      progress({ phase: 'reading', done: 1, total: 1 });
      const first = drafts.length > 0 ? await this.documents.takeNumbers(client, drafts.length) : 0n;
      const issuedAt = new Date().toISOString();
      const issued: IssuedDocument[] = drafts.map((d, i) => {
        const seq = first + BigInt(i);
        const content = { ...d, number: documentNumber('invoice', seq) };
        return { ...content, seq, issued_at: issuedAt, content_hash: contentHash(content) };
      });
      await this.documents.recordClose(client, period, positions, issued.length);
      for (let i = 0; i < issued.length; i += WRITE_CHUNK) {
        const chunk = issued.slice(i, i + WRITE_CHUNK);
        await this.documents.insertInvoices(client, chunk);
        await this.documents.insertOutbox(client, chunk.map((d) => this.finalizedEvent(d)));
        progress({ phase: 'writing', done: Math.min(i + WRITE_CHUNK, issued.length), total: issued.length });
      }
      return { period, created: issued.length, invoices: issued.map(({ number, org, total, content_hash }) => ({ number, org, total, content_hash })) };
    });
    progress({ phase: 'done', done: result.created, total: result.created });
    if (result.created > 0) this.log.log(`closed ${period}: ${result.created} invoices in ${Date.now() - started} ms after the barrier`);
    return result;
  }

  /** The aggregator's positions in this snapshot: exactly what the projections read here contain. */
  private async positions(client: PoolClient) {
    const { rows } = await client.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset::text FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2 ORDER BY partition',
      [this.config.consumerGroup, this.config.topics.usage],
    );
    return { group: this.config.consumerGroup, topic: this.config.topics.usage, partitions: Object.fromEntries(rows.map((r) => [r.partition, r.next_offset])) };
  }

  private finalizedEvent(d: IssuedDocument) {
    return {
      topic: this.config.topics.invoices,
      key: d.org,
      headers: { schema: BILLING_EVENT_SCHEMA, type: 'invoice.finalized' },
      value: encodeBillingEvent({
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
      }),
    };
  }
}
