import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { closedInvoices, decideClose, InvoiceSummary, Terms } from '@metering/billing';
import {
  BillingLock,
  BillingRepository,
  ClosePositions,
  DocumentsRepository,
  OutboxRepository,
  ProjectionStore,
  storedPositions,
  TermsRepository,
} from '@metering/db';
import { parsePeriod, Period, periodBounds } from '@metering/domain';
import { billingEventMessage, untilFolded } from '@metering/kafka';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { InvalidPeriodError, PeriodOpenError } from './errors';
import { INVOICING_KAFKA, withAdmin } from './kafka-admin';

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
 * Closing a period: barrier, then one transaction that reads the projections, has
 * `decideClose` make one invoice per organization with anything to bill, and writes them.
 * Idempotent: a closed period answers the invoices it made. Serialised with voids by the
 * billing lock, so numbers stay gapless.
 */
@Injectable()
export class CloseService {
  private readonly log = new Logger('close');

  constructor(
    private readonly lock: BillingLock,
    private readonly billing: BillingRepository,
    private readonly documents: DocumentsRepository,
    private readonly outbox: OutboxRepository,
    private readonly store: ProjectionStore,
    private readonly terms: TermsRepository,
    @Inject(INVOICING_KAFKA) private readonly kafka: Kafka,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  async close(
    text: string,
    opts: { onProgress?: (p: CloseProgress) => void; barrierTimeoutMs?: number; now?: number } = {},
  ): Promise<CloseResult> {
    const progress = opts.onProgress ?? (() => undefined);
    const period = parsePeriod(text);
    if (period === null) throw new InvalidPeriodError(text);
    const { to } = periodBounds(period);
    if ((opts.now ?? Date.now()) < to) throw new PeriodOpenError(period, to);
    const before = await this.documents.closedInvoices(period);
    if (before) return { period, created: 0, invoices: before };
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
    const result = await this.lock.underLock(async (client): Promise<CloseResult> => {
      const command = { period, issuedAt: new Date().toISOString() };
      const closed = await this.documents.closedInvoices(period, client);
      if (closed) return answer(decideClose({ status: 'closed', invoices: closed }, command));
      progress({ phase: 'reading', done: 0, total: 1 });
      const positions = await this.positions(client);
      const terms = { terms: new Terms(await this.terms.snapshotAllOrgs(client)) };
      const usage = await this.billing.billableUsageAllOrgs(client, period, terms.terms);
      const firstNumber = await this.documents.firstFreeNumber(client);
      progress({ phase: 'reading', done: 1, total: 1 });
      const decision = decideClose({ status: 'open', usage, terms, firstNumber }, command);
      if (decision.type === 'AlreadyClosed') return answer(decision);
      const { invoices, events } = decision;
      await this.documents.takeNumbers(client, firstNumber, invoices.length);
      await this.documents.recordClose(client, period, positions, invoices.length, decision.terms);
      for (let i = 0; i < invoices.length; i += WRITE_CHUNK) {
        await this.documents.insertInvoices(client, invoices.slice(i, i + WRITE_CHUNK));
        await this.outbox.insert(
          client,
          events.slice(i, i + WRITE_CHUNK).map((e) => billingEventMessage(this.config.topics.invoices, e)),
        );
        progress({ phase: 'writing', done: Math.min(i + WRITE_CHUNK, invoices.length), total: invoices.length });
      }
      await this.documents.recordCreditsApplied(client, decision.credits);
      await this.documents.grantCarriedForward(client, decision.carriedForward);
      return answer(decision);
    });
    progress({ phase: 'done', done: result.created, total: result.created });
    if (result.created > 0)
      this.log.log(`closed ${period}: ${result.created} invoices in ${Date.now() - started} ms after the barrier`);
    return result;
  }

  /** The aggregator's positions in this snapshot: exactly what the projections read here contain. */
  private async positions(client: Parameters<typeof storedPositions>[0]): Promise<ClosePositions> {
    const { consumerGroup: group, topics } = this.config;
    const stored = [...(await storedPositions(client, group, topics.usage))].sort(([a], [b]) => a - b);
    return {
      group,
      topic: topics.usage,
      partitions: Object.fromEntries(stored.map(([p, next]) => [p, next.toString()])),
    };
  }
}

function answer(decision: ReturnType<typeof decideClose>): CloseResult {
  return {
    period: decision.period,
    created: decision.type === 'PeriodClosed' ? decision.invoices.length : 0,
    invoices: [...closedInvoices(decision)],
  };
}
