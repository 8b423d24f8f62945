import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { allSkus } from '@metering/catalog';
import { periodBounds, periodOf } from '@metering/domain';
import { createKafka, renamed, topicConfig, topicSpec } from '@metering/kafka';
import { loadConfig } from '@metering/service';
import { CloseService } from '../apps/invoicing/src/close.service';
import { InvoicingCoreModule } from '../apps/invoicing/src/invoicing-core.module';
import { ProgressBar } from '../apps/invoicing/src/progress';
import { cloneDatabase, databaseUrl, dropDatabase, freshDatabase } from './database';
import type { Benchmark, Figure } from './harness';
import { addTerms, checkTermsClose, TermsCounts } from './close-terms';

const ORGS = 10_000;
const SKUS_PER_ORG = 5;
const APPS = 3;
const REGIONS = 4;
const TEMPLATE = 'metering_bench_close_tpl';
/** The same usage, with the organizations' commercial terms added (see addTerms). */
const TERMS_TEMPLATE = 'metering_bench_close_terms_tpl';
const RUN_DB = 'metering_bench_close_run';
const TOPIC = 'bench.close.usage.events.v1';

/**
 * Closing a month for 10,000 organizations, each with 3 apps in 4 regions on 5 SKUs every
 * hour of the month: the month's usage as the aggregator's monthly rollup holds it (50,000
 * rows), which is all a close reads when no price changed inside the month. The hourly
 * projection of that fleet (432 million rows) is not built: the close never reads it.
 * Each run closes that month twice, each time in a fresh copy: once with list prices only
 * (the flat close, the baseline), once with the organizations' commercial terms (contract
 * prices, tiers, minimums, credits) on the same usage.
 */
export function closeBenchmark(): Benchmark {
  const period = periodOf(periodBounds(periodOf(Date.now())).from - 40 * 86_400_000);
  const kafka = createKafka((process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','), 'bench-close');
  /** What every close with terms must write (its minimum lines: as many as in the first run). */
  let expected: TermsCounts | undefined;
  let commitments = 0;
  let minimumLines: number | undefined;
  let runs = 0;

  /** One close of `template`'s month in a fresh copy of it: its time, and what it wrote. */
  const closeOnce = async (template: string): Promise<{ seconds: number; counts: TermsCounts }> => {
    const url = await cloneDatabase(template, RUN_DB);
    let app: INestApplicationContext | undefined;
    try {
      const config = { ...loadConfig({ ...process.env, DATABASE_URL: url, USAGE_TOPIC: TOPIC, LOG_LEVEL: 'warn' }) };
      app = await NestFactory.createApplicationContext(InvoicingCoreModule.forConfig(config), {
        logger: ['error', 'warn'],
      });
      const bar = new ProgressBar();
      const started = process.hrtime.bigint();
      const result = await app
        .get(CloseService)
        .close(period, { onProgress: (p) => bar.update(p.phase, p.done, p.total) });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      bar.end();
      if (result.created !== ORGS) throw new Error(`expected ${ORGS} invoices, the close made ${result.created}`);
      return { seconds, counts: await checkTermsClose(url, period) };
    } finally {
      await app?.close();
      await dropDatabase(RUN_DB);
    }
  };

  return {
    name: 'close',
    title: `close a month for ${ORGS.toLocaleString('en-US')} organizations, list prices and commercial terms`,
    get method() {
      const e = expected;
      return (
        `Each run closes ${period} twice, each in a fresh copy of a database holding ${ORGS.toLocaleString('en-US')} organizations × ${SKUS_PER_ORG} SKUs of monthly usage ` +
        `(${APPS} apps × ${REGIONS} regions × every hour, rolled up as the aggregator does), through the same CloseService as ` +
        '`npm run billing -- close`, progress reporting on: barrier (an empty topic), one REPEATABLE READ transaction reading the rollup and the terms, ' +
        'building and hashing every invoice, numbering, and writing invoices, lines, outbox rows and credit movements. ' +
        "Flat: list prices only (the baseline). Terms: the same usage, with contract prices effective from the month's first hour for half of the organizations " +
        '(a sixth flat at 80% of list; a third of all tiered on each of their SKUs, a free first tier, list price, then 70%: graduated, a sixth of those by volume), ' +
        'a monthly minimum of 1,000, 2,500 or 4,000 for a seventh, and a credit grant for a fifth (plus, for a fifteenth, a grant that expired inside the month, which ' +
        'must not be drawn), inserted in bulk as the database owner. ' +
        (e
          ? `Every terms close is checked: ${e.invoices.toLocaleString('en-US')} invoices, ${e.tieredSkus.toLocaleString('en-US')} tiered SKUs billed with a line per tier, ` +
            `${(minimumLines ?? 0).toLocaleString('en-US')} minimum lines, ${e.creditLines.toLocaleString('en-US')} credit lines and as many grants drawn, none expired. `
          : '') +
        'The order of the two closes alternates from run to run.'
      );
    },
    // Two closes of a few seconds each per run: cheap enough for more runs than the default.
    runs: 5,
    goals: [
      {
        figure: 'terms close time',
        op: '<=',
        value: 10,
        text: `close ${ORGS.toLocaleString('en-US')} organizations' month with commercial terms in at most 10 s`,
      },
      {
        figure: 'flat close time',
        op: '<=',
        value: 30,
        text: `close ${ORGS.toLocaleString('en-US')} organizations' month in at most 30 s`,
      },
    ],
    async setup() {
      const url = await freshDatabase(TEMPLATE);
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(
          `INSERT INTO organizations (slug, name) SELECT 'org-' || lpad(i::text, 5, '0'), 'Organization ' || i FROM generate_series(0, $1 - 1) i`,
          [ORGS],
        );
        const skus = allSkus();
        const perMonth = APPS * REGIONS * 720;
        await c.query(
          `INSERT INTO usage_monthly (period, org, sku, quantity, events)
           SELECT $1::date, 'org-' || lpad(i::text, 5, '0'), ($2::text[])[1 + (i + k) % cardinality($2::text[])],
                  $4::numeric * (CASE ($3::text[])[1 + (i + k) % cardinality($3::text[])]
                          WHEN 'byte' THEN 1500000000 WHEN 'gb-second' THEN 36000 ELSE 3600 END) * (1 + (i % 7) / 10.0),
                  $4
             FROM generate_series(0, $5 - 1) i, generate_series(0, $6 - 1) k`,
          [`${period}-01`, skus.map((s) => s.sku), skus.map((s) => s.unit), perMonth, ORGS, SKUS_PER_ORG],
        );
        await c.query('ANALYZE');
      } finally {
        await c.end();
      }
      await cloneDatabase(TEMPLATE, TERMS_TEMPLATE);
      expected = await addTerms(databaseUrl(TERMS_TEMPLATE), period, {
        orgs: ORGS,
        skusPerOrg: SKUS_PER_ORG,
        skus: allSkus().map((s) => s.sku),
      });
      commitments = expected.minimumLines;
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(TOPIC))
          await admin.createTopics({
            topics: [topicConfig(renamed(topicSpec('usage.events.v1'), TOPIC))],
            waitForLeaders: true,
          });
      } finally {
        await admin.disconnect();
      }
    },
    async run(): Promise<Figure[]> {
      const termsFirst = runs++ % 2 === 1;
      const closes = termsFirst
        ? { terms: await closeOnce(TERMS_TEMPLATE), flat: await closeOnce(TEMPLATE) }
        : { flat: await closeOnce(TEMPLATE), terms: await closeOnce(TERMS_TEMPLATE) };
      const none: TermsCounts = { invoices: ORGS, tieredSkus: 0, minimumLines: 0, creditLines: 0, grantsDrawn: 0 };
      sameCounts('the flat close', closes.flat.counts, none);
      // Which organizations stay below their minimum depends on the pricing: at least one, at
      // most every one with a commitment, and the same in every run.
      const minimum = closes.terms.counts.minimumLines;
      if (minimum < 1 || minimum > commitments)
        throw new Error(`the close with terms wrote ${minimum} minimum lines, of ${commitments} commitments`);
      minimumLines ??= minimum;
      sameCounts('the close with terms', closes.terms.counts, { ...expected!, minimumLines });
      const { flat, terms } = closes;
      return [
        { name: 'flat close time', value: flat.seconds, unit: 's', better: 'lower' },
        { name: 'terms close time', value: terms.seconds, unit: 's', better: 'lower' },
        { name: 'terms / flat', value: terms.seconds / flat.seconds, unit: '×', better: 'lower' },
        { name: 'flat invoices per second', value: ORGS / flat.seconds, unit: 'invoices/s', better: 'higher' },
        { name: 'terms invoices per second', value: ORGS / terms.seconds, unit: 'invoices/s', better: 'higher' },
      ];
    },
    async teardown() {
      await dropDatabase(TEMPLATE);
      await dropDatabase(TERMS_TEMPLATE);
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

function sameCounts(what: string, got: TermsCounts, want: TermsCounts): void {
  const wrong = (Object.keys(want) as (keyof TermsCounts)[]).filter((k) => got[k] !== want[k]);
  if (wrong.length > 0)
    throw new Error(`${what} wrote ${wrong.map((k) => `${k} ${got[k]} (expected ${want[k]})`).join(', ')}`);
}
