import { simulateFleet } from '@metering/fleet';
import { organizations, replayFleet } from '../scripts/demo-load';
import { dropDatabase, freshDatabase } from './database';
import { AggregatorChild, waitFolded } from './fold-child';
import type { Benchmark, Figure } from './harness';
import { cpuSeconds } from './ingest-load';
import { BENCH_OPERATOR_TOKEN, benchCall, BenchStack, startBenchStack } from './services';

const HOUR = 3_600_000;
const MACHINES = Number(process.env['BENCH_E2E_MACHINES'] ?? 10_000);
// Hours of the fleet per phase: 20 hours of 10,000 machines are ~480,000 events.
const HOURS = Number(process.env['BENCH_E2E_HOURS'] ?? 20);
const BATCH = Number(process.env['BENCH_E2E_BATCH'] ?? 5_000);
const IN_FLIGHT = Number(process.env['BENCH_E2E_IN_FLIGHT'] ?? 12);
const RUNS = 3;
const DB = 'metering_bench_e2e';
const GROUP = 'bench-e2e';
// The demo's organizations: 8 named and a tail of smaller customers, shares falling as 1/sqrt(rank).
const { orgs: DEMO_ORGS, weights: ORG_WEIGHTS } = organizations(Number(process.env['BENCH_E2E_ORGS'] ?? 32));
const ORGS = DEMO_ORGS.map(([o]) => o);

/** Events the usage API counts for every organization in [from, to), as a customer would see them. */
async function visible(api: string, from: number, to: number): Promise<number> {
  const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&granularity=month`;
  const answers = await Promise.all(
    ORGS.map((o) => benchCall(`${api}/v1/orgs/${o}/usage?${q}`, BENCH_OPERATOR_TOKEN) as Promise<any>),
  );
  return answers.flatMap((a) => a.rows as { events: number }[]).reduce((s, r) => s + r.events, 0);
}

/**
 * The whole pipeline's speed, beside its two halves in the same run: the simulated fleet's hosts
 * posting through the collector with the aggregator stopped (ingest only), the aggregator then
 * folding that backlog (fold only), and, with the aggregator caught up, the fleet's next hours
 * posted and timed until the usage API counts every event (end to end).
 */
export function e2eBenchmark(): Benchmark {
  let stack: BenchStack | null = null;
  let aggregator: AggregatorChild | null = null;
  let databaseUrl = '';
  let tokens = new Map<string, string>();
  let run = 0;
  let records = 0;
  const fleet = simulateFleet({ machines: MACHINES, orgs: ORGS, orgWeights: ORG_WEIGHTS });
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const startAggregator = async () => {
    aggregator = await AggregatorChild.start({
      databaseUrl,
      topic: stack!.topics.usage,
      dlqTopic: stack!.topics.dlq,
      group: GROUP,
    });
    await aggregator.ready();
    return aggregator;
  };
  const replay = (from: number) =>
    replayFleet({
      collector: stack!.url.collector,
      fleet,
      fromHour: from,
      toHour: from + HOURS * HOUR,
      tokens,
      batch: BATCH,
      inFlight: IN_FLIGHT,
    });
  return {
    name: 'e2e',
    title: 'The whole pipeline: hosts posting through the collector, folded, visible in the API',
    runs: RUNS,
    method:
      `The demo's fleet (${MACHINES.toLocaleString('en-US')} machines, ${ORGS.length} organizations, one host per region, each machine's hour as ` +
      `its events) replayed by its hosts in requests of ${BATCH.toLocaleString('en-US')} events, ${IN_FLIGHT} in flight, ` +
      `${HOURS} hours of the fleet a phase (new hours each phase and run), the collector, aggregator and API as separate ` +
      'processes on their own database and topics. Ingest only: posted with the aggregator stopped, until the last 202. ' +
      'Fold only: the aggregator started on that backlog, timed from ready until its stored positions reach the end. ' +
      'End to end: with the aggregator caught up, the next hours posted, timed from the first post until GET ' +
      '/v1/orgs/{org}/usage counts every event. CPU is user+system of each process over its phase.',
    goals: [
      {
        figure: 'end to end',
        op: '>=',
        value: 60_000,
        text: 'at least 60,000 events/s end to end (posted, folded, visible in the API)',
      },
    ],
    async setup() {
      databaseUrl = await freshDatabase(DB);
      stack = await startBenchStack('e2e', databaseUrl, ['collector', 'api']);
      for (const slug of ORGS) await benchCall(`${stack.url.api}/v1/orgs`, BENCH_OPERATOR_TOKEN, { slug, name: slug });
      tokens = new Map();
      for (const region of new Set(fleet.map((m) => m.region))) {
        const host = await benchCall(`${stack.url.api}/v1/hosts`, BENCH_OPERATOR_TOKEN, { name: `${region}-01` });
        tokens.set(`host/${region}-01`, host.token as string);
      }
    },
    async run(): Promise<Figure[]> {
      const s = stack!;
      // Two fresh windows of the fleet each run, going back in time from the last full hour.
      const ingestFrom = end - (2 * run + 1) * HOURS * HOUR;
      const e2eFrom = end - (2 * run + 2) * HOURS * HOUR;
      run++;
      if (e2eFrom < Date.now() - 34 * 24 * HOUR) throw new Error('BENCH_E2E_HOURS too large: past the 35-day window');

      await (aggregator as AggregatorChild | null)?.stop();
      let cpu = cpuSeconds(s.pid.collector);
      const ingest = await replay(ingestFrom);
      const collectorCpu = cpuSeconds(s.pid.collector) - cpu;
      records += ingest.posted;

      const agg = await startAggregator();
      const pid = agg.process.pid ?? 0;
      cpu = cpuSeconds(pid);
      const foldStart = performance.now();
      const foldEnd = await waitFolded(databaseUrl, GROUP, records, agg);
      const aggregatorCpu = cpuSeconds(pid) - cpu;
      const foldRate = (ingest.posted * 1000) / (foldEnd - foldStart);

      const e2eStart = performance.now();
      const e2e = await replay(e2eFrom);
      records += e2e.posted;
      const to = e2eFrom + HOURS * HOUR;
      // The stored positions first (one cheap query), then the API, which must count every event.
      await waitFolded(databaseUrl, GROUP, records, agg);
      while ((await visible(s.url.api, e2eFrom, to)) < e2e.posted) await new Promise((r) => setTimeout(r, 50));
      const e2eSeconds = (performance.now() - e2eStart) / 1000;

      return [
        { name: 'ingest only', value: ingest.posted / ingest.seconds, unit: 'events/s', better: 'higher' },
        { name: 'fold only', value: foldRate, unit: 'events/s', better: 'higher' },
        { name: 'end to end', value: e2e.posted / e2eSeconds, unit: 'events/s', better: 'higher' },
        { name: 'collector CPU per event', value: (collectorCpu / ingest.posted) * 1e6, unit: 'µs', better: 'lower' },
        { name: 'aggregator CPU per event', value: (aggregatorCpu / ingest.posted) * 1e6, unit: 'µs', better: 'lower' },
        { name: 'events per phase', value: e2e.posted, unit: 'events', better: 'higher' },
        { name: 'events per request', value: e2e.posted / e2e.requests, unit: 'events', better: 'higher' },
      ];
    },
    async teardown() {
      await (aggregator as AggregatorChild | null)?.stop();
      await stack?.stop();
      await dropDatabase(DB);
    },
  };
}
