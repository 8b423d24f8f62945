import { hourOf } from '@metering/metering';
import { dropDatabase, freshDatabase } from './database';
import { Benchmark, Figure, percentile } from './harness';
import { steadyLoad } from './load';
import { BENCH_OPERATOR_TOKEN, benchCall, BenchStack, startBenchStack } from './services';

const RATE = 10_000;
const SECONDS = 20;
const DB = 'metering_bench_fresh';

/**
 * Event-to-visible latency under a steady load: while 10,000 events/s flow through the
 * collector, a probe posts one event at a time and polls the usage API until it counts it.
 * The latency is from the collector's 202 to the first answer of the API that includes it.
 */
export function freshnessBenchmark(): Benchmark {
  let stack: BenchStack;
  let host = '';
  let run = 0;
  let probes = 0;
  return {
    name: 'freshness',
    title: `202 to visible in the usage API at a steady ${RATE.toLocaleString('en-US')} events/s`,
    method:
      `Each run keeps ${RATE.toLocaleString('en-US')} events/s flowing for ${SECONDS} s (batches of 100) through the collector, aggregator and API running as ` +
      'separate processes, while a probe posts one event at a time and polls GET /v1/orgs/{org}/usage every 5 ms until the event is counted.',
    goals: [{ figure: 'freshness p99', op: '<=', value: 1000, text: 'freshness p99 under 1 s' }],
    async setup() {
      const url = await freshDatabase(DB);
      stack = await startBenchStack('fresh', url, ['collector', 'aggregator', 'api']);
      for (const slug of ['load', 'probe'])
        await benchCall(`${stack.url.api}/v1/orgs`, BENCH_OPERATOR_TOKEN, { slug, name: slug });
      host = (await benchCall(`${stack.url.api}/v1/hosts`, BENCH_OPERATOR_TOKEN, { name: 'bench' })).token;
    },
    async run(): Promise<Figure[]> {
      run++;
      const load = steadyLoad({
        collector: stack.url.collector,
        token: host,
        org: 'load',
        rate: RATE,
        batch: 100,
        prefix: `r${run}-${Date.now()}`,
      });
      const latencies: number[] = [];
      const until = Date.now() + SECONDS * 1000;
      await new Promise((r) => setTimeout(r, 1000)); // let the load reach its rate first
      while (Date.now() < until) {
        const now = Date.now();
        const hour = hourOf(now);
        const window = `from=${new Date(hour).toISOString()}&to=${new Date(hour + 3_600_000).toISOString()}`;
        const before = await counted(stack.url.api, window);
        probes++;
        await benchCall(`${stack.url.collector}/v1/events`, host, [
          {
            specversion: '1.0',
            id: `probe-${probes}-${now}`,
            source: 'host/probe',
            type: 'ip.dedicated',
            time: new Date(now).toISOString(),
            data: { org: 'probe', resource: 'ip_1', region: 'ord', quantity: 1 },
          },
        ]);
        const accepted = performance.now();
        while ((await counted(stack.url.api, window)) <= before) await new Promise((r) => setTimeout(r, 5));
        latencies.push(performance.now() - accepted);
        await new Promise((r) => setTimeout(r, 50));
      }
      const { accepted, seconds } = await load.stop();
      return [
        { name: 'freshness p50', value: percentile(latencies, 50), unit: 'ms', better: 'lower' },
        { name: 'freshness p99', value: percentile(latencies, 99), unit: 'ms', better: 'lower' },
        { name: 'load sustained', value: accepted / seconds, unit: 'events/s', better: 'higher' },
        { name: 'probes', value: latencies.length, unit: 'probes', better: 'higher' },
      ];
    },
    async teardown() {
      await stack?.stop();
      await dropDatabase(DB);
    },
  };
}

async function counted(api: string, window: string): Promise<number> {
  const body = (await benchCall(`${api}/v1/orgs/probe/usage?${window}`, BENCH_OPERATOR_TOKEN)) as {
    rows: { events: number }[];
  };
  return body.rows.reduce((s, r) => s + r.events, 0);
}
