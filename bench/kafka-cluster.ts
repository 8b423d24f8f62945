import { createPrivateBroker, createPrivateCluster, PrivateBroker, PrivateCluster } from '../chaos/private-broker';
import { Benchmark, Figure, percentile } from './harness';
import { requestBodies } from './ingest';
import { cpuSeconds, postAll } from './ingest-load';
import { startIngestStack } from './ingest-stack';
import { foldOurs } from './kafka-clients';

const EVENTS = Number(process.env['BENCH_CLUSTER_EVENTS'] ?? 200_000);
const CLIENTS = 8;
const ORGS = Array.from({ length: 50 }, (_, i) => `org-${String(i).padStart(2, '0')}`);

interface Side {
  label: string;
  brokers: string[];
  replicas: number;
}

/** The ingest load through a collector on `side`, then its topic read back into the fold's columns. */
async function measureSide(side: Side, bodies: ReturnType<typeof requestBodies>['bodies']): Promise<Figure[]> {
  const stack = await startIngestStack(ORGS, { brokers: side.brokers, replicas: side.replicas });
  try {
    const cpu0 = cpuSeconds(stack.pid);
    const load = await postAll(stack.url, stack.hostToken, bodies, CLIENTS);
    const cpu = cpuSeconds(stack.pid) - cpu0;
    const readCpu = process.cpuUsage();
    const t0 = performance.now();
    await foldOurs(stack.topic, side.brokers, load.events);
    const readSeconds = (performance.now() - t0) / 1000;
    const read = process.cpuUsage(readCpu);
    return [
      {
        name: `${side.label}: accepted events/s`,
        value: load.events / load.seconds,
        unit: 'events/s',
        better: 'higher',
      },
      {
        name: `${side.label}: request latency p50`,
        value: percentile(load.latenciesMs, 50),
        unit: 'ms',
        better: 'lower',
      },
      {
        name: `${side.label}: request latency p99`,
        value: percentile(load.latenciesMs, 99),
        unit: 'ms',
        better: 'lower',
      },
      { name: `${side.label}: collector CPU per event`, value: (cpu / load.events) * 1e6, unit: 'µs', better: 'lower' },
      {
        name: `${side.label}: fold read events/s`,
        value: load.events / readSeconds,
        unit: 'events/s',
        better: 'higher',
      },
      {
        name: `${side.label}: fold read CPU per event`,
        value: (read.user + read.system) / load.events,
        unit: 'µs',
        better: 'lower',
      },
    ];
  } finally {
    await stack.stop();
  }
}

/**
 * Ingest and the fold's read on one broker against a three-broker cluster, in the same run:
 * what acknowledgements from three replicas cost. Both are private brokers of the stack's
 * settings and version, started side by side (the idle one takes next to no CPU).
 */
export function kafkaClusterBenchmark(): Benchmark {
  let single: PrivateBroker | null = null;
  let cluster: PrivateCluster | null = null;
  let data: ReturnType<typeof requestBodies> | null = null;
  return {
    name: 'kafka-cluster',
    title: 'Ingest and the fold’s read: one broker against a three-broker cluster',
    method:
      `${CLIENTS} hosts post ${EVENTS.toLocaleString('en-US')} simulated events in batches of 1,000 to the built collector, ` +
      'once against a single broker (topic at one replica) and once against three brokers (three replicas, ' +
      'min.insync.replicas 2, acks from all in-sync replicas); then our source reads each topic from its start into the ' +
      'fold’s columns. Both are private KRaft brokers of the stack’s settings on this machine, the collector and the ' +
      'brokers sharing its cores. Ratios are three brokers ÷ one.',
    goals: [],
    runs: Number(process.env['BENCH_CLUSTER_RUNS'] ?? 3),
    async setup() {
      data = requestBodies(EVENTS);
      single = await createPrivateBroker();
      await single.start();
      cluster = await createPrivateCluster(3);
      await cluster.start();
    },
    async run(): Promise<Figure[]> {
      const one = await measureSide({ label: '1 broker', brokers: single!.brokers, replicas: 1 }, data!.bodies);
      const three = await measureSide(
        { label: '3 brokers', brokers: cluster!.brokers, replicas: cluster!.replicas },
        data!.bodies,
      );
      const ratio = (name: string): Figure => {
        const a = one.find((f) => f.name === `1 broker: ${name}`)!;
        const b = three.find((f) => f.name === `3 brokers: ${name}`)!;
        return { name: `3 brokers / 1: ${name}`, value: b.value / a.value, unit: '×', better: a.better };
      };
      return [...one, ...three, ratio('accepted events/s'), ratio('request latency p99'), ratio('fold read events/s')];
    },
    async teardown() {
      await single?.destroy();
      await cluster?.destroy();
    },
  };
}
