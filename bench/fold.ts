import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { renamed, topicConfig, topicSpec } from '@metering/kafka';
import { eventKeyHex } from '@metering/metering';
import { cloneDatabase, dropDatabase, freshDatabase } from './database';
import { AggregatorChild, waitFolded } from './fold-child';
import { copyIn } from './fold-copy';
import { benchStream, StreamShape } from './fold-events';
import { naiveRun } from './fold-naive';
import { ensureBenchTopic } from './fold-topic';
import type { Benchmark, Figure } from './harness';

const SHAPE: StreamShape = {
  total: 2_000_000,
  machines: 10_000,
  orgs: 40,
  intervalMinutes: 5,
  start: Date.UTC(2026, 0, 1),
};
const TOPIC = 'bench.fold.usage.events.v1';
const DLQ = 'bench.fold.usage.events.dlq.v1';
const TEMPLATE = 'metering_bench_fold_template';
const NAIVE_SAMPLE = 20_000;
const CHUNK = 1 << 20;

function brokers(): string[] {
  return (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
}

/** The COPY input, made once: the distinct events' seen keys, and every raw event, as text rows. */
interface CopyInput {
  seen: Buffer[];
  raw: Buffer[];
  distinct: number;
}

function chunked(lines: Iterable<string>): Buffer[] {
  const chunks: Buffer[] = [];
  let part: string[] = [];
  let size = 0;
  for (const line of lines) {
    part.push(line);
    size += line.length;
    if (size >= CHUNK) {
      chunks.push(Buffer.from(part.join('')));
      part = [];
      size = 0;
    }
  }
  if (part.length > 0) chunks.push(Buffer.from(part.join('')));
  return chunks;
}

function copyInput(): CopyInput {
  let distinct = 0;
  const seen = chunked(
    (function* () {
      for (const { event: e, resend } of benchStream(SHAPE)) {
        if (resend) continue;
        distinct++;
        yield `${new Date(e.time).toISOString().slice(0, 10)}\t${eventKeyHex(e.source, e.id, e.time)}\n`;
      }
    })(),
  );
  const raw = chunked(
    (function* () {
      for (const { event: e } of benchStream(SHAPE)) {
        yield `${e.source}\t${e.id}\t${new Date(e.time).toISOString()}\t${e.org}\t${e.app}\t${e.region}\t${e.sku}\t${e.resource}\t${e.quantity}\n`;
      }
    })(),
  );
  return { seen, raw, distinct };
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The aggregator as a child process folding the whole topic into a fresh database. */
async function foldRun(url: string): Promise<{ rate: number; peakRss: number; commitMs: number; distinct: number }> {
  const group = `bench-fold-${randomBytes(4).toString('hex')}`;
  const child = await AggregatorChild.start({ databaseUrl: url, topic: TOPIC, dlqTopic: DLQ, group });
  try {
    await child.ready();
    const start = performance.now();
    const end = await waitFolded(url, group, SHAPE.total, child);
    const metrics = await (await fetch(`${child.url}/metrics`)).text();
    const value = (name: string) => Number(metrics.match(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm'))?.[1] ?? NaN);
    const commitMs =
      (value('aggregator_batch_commit_seconds_sum') / value('aggregator_batch_commit_seconds_count')) * 1000;
    const distinct = await withClient(url, async (c) =>
      Number((await c.query<{ n: string }>('SELECT sum(events) AS n FROM usage_hourly')).rows[0]!.n),
    );
    return { rate: (SHAPE.total * 1000) / (end - start), peakRss: child.peakRss, commitMs, distinct };
  } finally {
    await child.stop();
  }
}

async function copyRun(url: string, input: CopyInput): Promise<{ seen: number; raw: number }> {
  return withClient(url, async (c) => {
    await c.query(`CREATE TABLE copy_seen (day date NOT NULL, key uuid NOT NULL) PARTITION BY RANGE (day)`);
    await c.query(`CREATE TABLE copy_seen_d PARTITION OF copy_seen FOR VALUES FROM ('2000-01-01') TO ('2200-01-01')`);
    await c.query(`CREATE UNIQUE INDEX ON copy_seen_d (key)`);
    await c.query(
      `CREATE TABLE copy_raw (source text, id text, time timestamptz, org text, app text, region text, sku text, resource text, quantity numeric)`,
    );
    let t = performance.now();
    await copyIn(c, 'COPY copy_seen (day, key) FROM STDIN', input.seen);
    const seen = (input.distinct * 1000) / (performance.now() - t);
    t = performance.now();
    await copyIn(c, 'COPY copy_raw FROM STDIN', input.raw);
    return { seen, raw: (SHAPE.total * 1000) / (performance.now() - t) };
  });
}

export function foldBenchmark(): Benchmark {
  let input: CopyInput | null = null;
  return {
    name: 'fold',
    title: 'Aggregator: events folded and committed exactly once',
    method:
      `A topic of ${SHAPE.total.toLocaleString('en-US')} usage events (a fleet of ${SHAPE.machines.toLocaleString('en-US')} machines in ${SHAPE.orgs} organizations reporting every ` +
      `${SHAPE.intervalMinutes} minutes; every tenth event re-sent two intervals later, so 10% duplicates), filled once and kept. Each run folds it from offset 0 ` +
      'into a fresh database with the real aggregator as a child process (`node dist/apps/aggregator/src/main.js`), timed from ready to every position stored, ' +
      'its resident memory sampled every 50 ms. Naive: one INSERT per raw event into an events table (autocommit, unique (source, id)), then GROUP BY ' +
      `date_trunc('hour', time), on the first ${NAIVE_SAMPLE.toLocaleString('en-US')} events, timing only the database statements. COPY: the distinct ` +
      "events' seen keys into a table shaped like seen_events, and the raw events into an unindexed table, as Postgres' write ceiling.",
    goals: [
      {
        figure: 'folded and committed',
        op: '>=',
        value: 100_000,
        text: 'at least 100,000 events/s folded and committed',
      },
      { figure: 'fold / naive', op: '>=', value: 20, text: 'at least 20 times the naive design' },
      { figure: 'aggregator peak RSS', op: '<=', value: 300, text: 'aggregator resident memory at most 300 MB' },
    ],
    async setup() {
      const kafka = new Kafka({ clientId: 'bench-fold', brokers: brokers(), logLevel: logLevel.WARN });
      await ensureBenchTopic(kafka, TOPIC, SHAPE, (line) => console.log(line));
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(DLQ)) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: [topicConfig(renamed(topicSpec('usage.events.dlq.v1'), DLQ))],
          });
        }
      } finally {
        await admin.disconnect();
      }
      await freshDatabase(TEMPLATE);
      input = copyInput();
    },
    async run(): Promise<Figure[]> {
      const name = `metering_bench_fold_${randomBytes(3).toString('hex')}`;
      try {
        const ours = await foldRun(await cloneDatabase(TEMPLATE, `${name}_a`));
        if (ours.distinct !== input!.distinct)
          throw new Error(`folded ${ours.distinct} distinct events, expected ${input!.distinct}`);
        const naive = await naiveRun(await cloneDatabase(TEMPLATE, `${name}_b`), brokers(), TOPIC, NAIVE_SAMPLE);
        const copy = await copyRun(await cloneDatabase(TEMPLATE, `${name}_c`), input!);
        return [
          { name: 'folded and committed', value: ours.rate, unit: 'events/s', better: 'higher' },
          { name: 'naive', value: naive.eventsPerSecond, unit: 'events/s', better: 'higher' },
          { name: 'fold / naive', value: ours.rate / naive.eventsPerSecond, unit: '×', better: 'higher' },
          { name: 'COPY seen keys', value: copy.seen, unit: 'rows/s', better: 'higher' },
          { name: 'COPY raw events', value: copy.raw, unit: 'rows/s', better: 'higher' },
          { name: 'aggregator peak RSS', value: ours.peakRss / 2 ** 20, unit: 'MB', better: 'lower' },
          { name: 'mean batch commit', value: ours.commitMs, unit: 'ms', better: 'lower' },
        ];
      } finally {
        for (const s of ['a', 'b', 'c']) await dropDatabase(`${name}_${s}`);
      }
    },
    async teardown() {
      await dropDatabase(TEMPLATE);
      input = null;
    },
  };
}
