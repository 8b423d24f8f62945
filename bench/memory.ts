import { Client } from 'pg';
import { storedPositions } from '@metering/db';
import { createKafka, untilFolded } from '@metering/kafka';
import { dropDatabase, freshDatabase } from './database';
import type { Benchmark, Figure } from './harness';
import { loadBatch } from './load';
import { BENCH_OPERATOR_TOKEN, benchCall, BenchStack, rssBytes, ServiceName, startBenchStack } from './services';

const EVENTS = 400_000;
const BATCH = 1000;
const CLIENTS = 8;
const DB = 'metering_bench_memory';
const SERVICES: ServiceName[] = ['collector', 'aggregator', 'invoicing', 'api'];

/**
 * Peak resident memory of every service while the pipeline ingests and folds as fast as it
 * can: 8 clients post batches of 1,000 events to the collector while the aggregator folds
 * them; RSS of each process is sampled every 50 ms from /proc until the fold has caught up.
 */
export function memoryBenchmark(): Benchmark {
  let stack: BenchStack;
  let host = '';
  let run = 0;
  let url = '';
  return {
    name: 'memory',
    title: 'peak resident memory of each service during ingest + fold',
    method: `Each run posts ${EVENTS.toLocaleString('en-US')} events (${CLIENTS} clients, batches of ${BATCH}) and waits until the aggregator has folded them, sampling each service's RSS every 50 ms.`,
    goals: [{ figure: 'aggregator peak RSS', op: '<=', value: 300, text: 'aggregator resident memory at most 300 MB' }],
    async setup() {
      url = await freshDatabase(DB);
      stack = await startBenchStack('memory', url, SERVICES);
      await benchCall(`${stack.url.api}/v1/orgs`, BENCH_OPERATOR_TOKEN, { slug: 'load', name: 'load' });
      host = (await benchCall(`${stack.url.api}/v1/hosts`, BENCH_OPERATOR_TOKEN, { name: 'bench' })).token;
    },
    async run(): Promise<Figure[]> {
      run++;
      const peak = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<ServiceName, number>;
      const sampler = setInterval(() => {
        for (const s of SERVICES) peak[s] = Math.max(peak[s], rssBytes(stack.pid[s]));
      }, 50);
      const started = Date.now();
      let next = 0;
      const prefix = `m${run}-${started}`;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < EVENTS) {
            const from = next;
            next += BATCH;
            await benchCall(
              `${stack.url.collector}/v1/events`,
              host,
              loadBatch(prefix, from, BATCH, 'load', Date.now()),
            );
          }
        }),
      );
      await foldedToEnd(stack, url);
      const seconds = (Date.now() - started) / 1000;
      clearInterval(sampler);
      const mb = (b: number) => b / 2 ** 20;
      return [
        ...SERVICES.map((s): Figure => ({ name: `${s} peak RSS`, value: mb(peak[s]), unit: 'MB', better: 'lower' })),
        { name: 'ingest + fold throughput', value: EVENTS / seconds, unit: 'events/s', better: 'higher' },
      ];
    },
    async teardown() {
      await stack?.stop();
      await dropDatabase(DB);
    },
  };
}

/** Waits until the aggregator's stored positions reach the usage topic's end offsets. */
export async function foldedToEnd(stack: BenchStack, databaseUrl: string): Promise<void> {
  const admin = createKafka(stack.env['KAFKA_BROKERS']!.split(','), 'bench-wait').admin();
  const db = new Client({ connectionString: databaseUrl });
  await Promise.all([admin.connect(), db.connect()]);
  try {
    await untilFolded({
      admin,
      topic: stack.topics.usage,
      stored: () => storedPositions(db, stack.env['AGGREGATOR_GROUP']!, stack.topics.usage),
      timeoutMs: 600_000,
    });
  } finally {
    await Promise.all([admin.disconnect(), db.end()]);
  }
}
