import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { contentHash, draftInvoices, IssuedDocument, Terms, TermsData } from '@metering/billing';
import {
  BillingLock,
  BillingRepository,
  createPool,
  DocumentsRepository,
  dropDatabase,
  freshDatabase,
  ProjectionStore,
  RecordedClose,
  TermsRepository,
} from '@metering/db';
import type { Period } from '@metering/domain';
// The aggregator's own decoding, so the replay folds exactly as the live aggregator did.
import { createKafka, decodeBatch, foldDecoder, messageRecords, TopicReplayer } from '@metering/kafka';
import { foldColumns } from '@metering/metering';
import type { MeteringConfig } from '@metering/service';

export interface PeriodVerdict {
  period: Period;
  invoices: number;
  matched: number;
  /** Numbers whose replayed content hashes differently. */
  mismatched: string[];
  /** Organizations invoiced live but not in the replay, and the other way round. */
  missing: string[];
  extra: string[];
}

export interface VerifyReport {
  ok: boolean;
  periods: PeriodVerdict[];
  seconds: number;
}

/**
 * `npm run billing -- verify`: rebuilds the projections from Kafka in a scratch database and
 * replays every close there, in the order they happened, each at exactly the aggregator
 * positions the live close read (recorded with it), then compares every invoice's content
 * hash. A match means the invoices follow from the event log, the fold and the price book
 * alone. A scratch database rather than a schema: the projections' partition maintenance
 * resolves table names in its own schema, and a database cannot be confused with the live one.
 */
export async function verify(config: MeteringConfig, log = new Logger('verify')): Promise<VerifyReport> {
  const started = Date.now();
  // As the owner (DATABASE_OWNER_URL): it creates, migrates and drops the scratch database.
  const ownerUrl = config.databaseOwnerUrl;
  const live = createPool(ownerUrl, { max: 2 });
  const scratchName = `${new URL(ownerUrl).pathname.slice(1).replace(/[^a-z0-9_]/g, '_')}_verify`;
  const periods: PeriodVerdict[] = [];
  try {
    const closes = await new DocumentsRepository(live).closes();
    if (closes.length === 0) return { ok: true, periods, seconds: 0 };
    const scratchUrl = await freshDatabase(ownerUrl, scratchName);
    const scratch = createPool(scratchUrl, { max: 4 });
    const kafka = createKafka(config.kafkaBrokers, 'billing-verify');
    try {
      // Closes recorded before closes recorded their terms priced with the list price book, which
      // never changes for a closed month: the live one stands in for what they used.
      const liveTerms = await new TermsRepository(live).snapshotAllOrgs();
      const topic = closes[0]!.positions.topic;
      const store = new ProjectionStore(scratch);
      const decoder = foldDecoder();
      const replayer = new TopicReplayer({
        kafka,
        topic,
        groupId: `billing-verify.${process.pid}.${Date.now()}`,
        apply: async ({ partition, firstOffset, nextOffset, messages }) => {
          const { columns, corrections, offsets } = decodeBatch(messageRecords(messages), decoder);
          const outcome = await store.applyBatch(
            { group: 'verify', topic, partition },
            { offsets, keys: columns, firstOffset, nextOffset, corrections },
            (fresh) => foldColumns(columns, fresh),
          );
          return outcome.status === 'gap' ? { done: false, seekTo: outcome.nextOffset } : { done: true };
        },
      });
      const admin = kafka.admin();
      await admin.connect();
      const partitions = (await admin.fetchTopicOffsets(topic)).map((o) => o.partition);
      await admin.disconnect();
      await replayer.start(partitions, new Map());
      try {
        for (const close of closes) {
          const targets = new Map(partitions.map((p) => [p, BigInt(close.positions.partitions[String(p)] ?? '0')]));
          await replayer.runTo(targets);
          periods.push(await replayClose(live, scratch, close, close.terms ?? liveTerms));
          log.log(
            `${close.period}: ${periods[periods.length - 1]!.matched} of ${periods[periods.length - 1]!.invoices} invoices match`,
          );
        }
      } finally {
        await replayer.stop();
      }
    } finally {
      await scratch.end();
      await dropDatabase(ownerUrl, scratchName);
    }
  } finally {
    await live.end();
  }
  const ok = periods.every((p) => p.mismatched.length === 0 && p.missing.length === 0 && p.extra.length === 0);
  return { ok, periods, seconds: (Date.now() - started) / 1000 };
}

/** Closes `close.period` in the scratch database with the live invoices' numbers, and compares. */
async function replayClose(live: Pool, scratch: Pool, close: RecordedClose, data: TermsData): Promise<PeriodVerdict> {
  const originals = await new DocumentsRepository(live).issuedInvoices(close.period);
  const billing = new BillingRepository(scratch);
  const documents = new DocumentsRepository(scratch);
  // Every invoice of a close is issued at one time: the time its credit rules read.
  const issuedAt = [...originals.values()][0]?.issued_at ?? new Date().toISOString();
  return new BillingLock(scratch).underLock(async (client) => {
    const terms = { terms: new Terms(data) };
    const drafts = draftInvoices(
      close.period,
      await billing.billableUsageAllOrgs(client, close.period, terms.terms),
      terms,
      Date.parse(issuedAt),
    ).map((d) => d.content);
    const verdict: PeriodVerdict = {
      period: close.period,
      invoices: originals.size,
      matched: 0,
      mismatched: [],
      missing: [],
      extra: [],
    };
    const issued: IssuedDocument[] = [];
    for (const d of drafts) {
      const original = originals.get(d.org);
      if (!original) {
        verdict.extra.push(d.org);
        continue;
      }
      const content = { ...d, number: original.number };
      const hash = contentHash(content);
      if (hash === original.content_hash) verdict.matched++;
      else verdict.mismatched.push(original.number);
      issued.push({ ...content, seq: original.seq, issued_at: original.issued_at, content_hash: hash });
    }
    const replayed = new Set<string>(drafts.map((d) => d.org));
    for (const [org, original] of originals) if (!replayed.has(org)) verdict.missing.push(original.number);
    // Record the replayed close so later periods see what was billed, as the live ones did.
    await documents.recordClose(client, close.period, close.positions, issued.length, data);
    await documents.insertInvoices(client, issued);
    return verdict;
  });
}
