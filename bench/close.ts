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
import { cloneDatabase, dropDatabase, freshDatabase } from './database';
import type { Benchmark, Figure } from './harness';

const ORGS = 10_000;
const SKUS_PER_ORG = 5;
const APPS = 3;
const REGIONS = 4;
const TEMPLATE = 'metering_bench_close_tpl';
const RUN_DB = 'metering_bench_close_run';
const TOPIC = 'bench.close.usage.events.v1';

/**
 * Closing a month for 10,000 organizations, each with 3 apps in 4 regions on 5 SKUs every
 * hour of the month: the month's usage as the aggregator's monthly rollup holds it (50,000
 * rows), which is all a close reads when no price changed inside the month. The hourly
 * projection of that fleet (432 million rows) is not built: the close never reads it.
 */
export function closeBenchmark(): Benchmark {
  const period = periodOf(periodBounds(periodOf(Date.now())).from - 40 * 86_400_000);
  const kafka = createKafka((process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','), 'bench-close');
  return {
    name: 'close',
    title: `close a month for ${ORGS.toLocaleString('en-US')} organizations`,
    method:
      `Each run closes ${period} in a fresh copy of a database holding ${ORGS.toLocaleString('en-US')} organizations × ${SKUS_PER_ORG} SKUs of monthly usage ` +
      `(${APPS} apps × ${REGIONS} regions × every hour, rolled up as the aggregator does), through the same CloseService as ` +
      '`npm run billing -- close`, progress reporting on: barrier (an empty topic), one REPEATABLE READ transaction reading the rollup, ' +
      'building and hashing every invoice, numbering, and writing invoices, lines and outbox rows.',
    goals: [
      {
        figure: 'close time',
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
      const url = await cloneDatabase(TEMPLATE, RUN_DB);
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
        return [
          { name: 'close time', value: seconds, unit: 's', better: 'lower' },
          { name: 'invoices per second', value: result.created / seconds, unit: 'invoices/s', better: 'higher' },
        ];
      } finally {
        await app?.close();
        await dropDatabase(RUN_DB);
      }
    },
    async teardown() {
      await dropDatabase(TEMPLATE);
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
