import { validateEvent } from '@metering/catalog';
import { fleetEvents, HostEvent, simulateFleet } from '@metering/fleet';
import { encodeUsageEvent } from '@metering/kafka';
import { Benchmark, Figure, percentile } from './harness';
import { producerPerformance } from './ingest-kafka-perf';
import { cpuSeconds, postAll } from './ingest-load';
import { IngestStack, startIngestStack } from './ingest-stack';

const HOUR = 3_600_000;
const EVENTS = Number(process.env['BENCH_INGEST_EVENTS'] ?? 600_000);
const CLIENTS = Number(process.env['BENCH_INGEST_CLIENTS'] ?? 8);
const BATCH = Number(process.env['BENCH_INGEST_BATCH'] ?? 1000);
// Long enough for the Java client to warm up: a short run measures its JIT, not the broker.
const PERF_RECORDS = Number(process.env['BENCH_INGEST_PERF_RECORDS'] ?? 1_500_000);
const ORGS = Array.from({ length: 50 }, (_, i) => `org-${String(i).padStart(2, '0')}`);

/** The fleet's events of the last hours (ids unique), cut into request bodies of BATCH events. */
export function requestBodies(count = EVENTS): { bodies: { body: Buffer; events: number }[]; avgRecordBytes: number } {
  const fleet = simulateFleet({ machines: 10_000, orgs: ORGS, seed: 7 });
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const events: HostEvent[] = [];
  // Hour by hour from a week ago (well inside the 35 days the collector accepts).
  for (const e of fleetEvents(fleet, end - 7 * 24 * HOUR, end)) {
    events.push(e);
    if (events.length === count) break;
  }
  if (events.length < count) throw new Error(`the fleet made only ${events.length} events in a week`);
  const bodies = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const slice = events.slice(i, i + BATCH);
    bodies.push({ body: Buffer.from(JSON.stringify(slice)), events: slice.length });
  }
  // The Avro value of a record as the collector writes it: ProducerPerformance sends the same size.
  const now = Date.now();
  let bytes = 0;
  const sample = events.slice(0, 2000);
  for (const e of sample) {
    const v = validateEvent(e, { now });
    if (!v.ok) throw new Error(`fleet event ${e.id} is invalid: ${JSON.stringify(v.errors)}`);
    bytes += encodeUsageEvent(v.event, now).length;
  }
  return { bodies, avgRecordBytes: Math.round(bytes / sample.length) };
}

export function ingestBenchmark(): Benchmark {
  let stack: IngestStack | null = null;
  let data: ReturnType<typeof requestBodies> | null = null;
  return {
    name: 'ingest',
    title: 'Collector ingest: events/s accepted (durably in Kafka) next to Kafka’s own producer',
    method:
      `${CLIENTS} hosts post ${EVENTS.toLocaleString('en-US')} simulated events in batches of ${BATCH} ` +
      '(application/cloudevents-batch+json, keep-alive) to the built collector running as its own process; ' +
      'every answer must be a 202 accepting every event (acks from all in-sync replicas, idempotent producer, private topic ' +
      'with the settings of usage.events.v1). Then Kafka’s ProducerPerformance (Java client, acks=all, idempotent) sends ' +
      `${PERF_RECORDS.toLocaleString('en-US')} records of the same average Avro size to another such topic on the same broker: ` +
      'the ceiling. The ratio is ours ÷ theirs.',
    goals: [
      {
        figure: 'accepted events/s',
        op: '>=',
        value: 50_000,
        text: 'at least 50,000 events/s accepted, 8 hosts posting batches of 1,000',
      },
    ],
    async setup() {
      data = requestBodies();
      stack = await startIngestStack(ORGS);
    },
    async run(): Promise<Figure[]> {
      const s = stack!;
      const cpu0 = cpuSeconds(s.pid);
      const load = await postAll(s.url, s.hostToken, data!.bodies, CLIENTS);
      const cpu = cpuSeconds(s.pid) - cpu0;
      const ours = load.events / load.seconds;
      const ceiling = await producerPerformance(s.brokers, s.perfTopic, PERF_RECORDS, data!.avgRecordBytes);
      return [
        { name: 'accepted events/s', value: ours, unit: 'events/s', better: 'higher' },
        { name: 'ProducerPerformance records/s', value: ceiling.recordsPerSecond, unit: 'records/s', better: 'higher' },
        { name: 'ratio to ProducerPerformance', value: ours / ceiling.recordsPerSecond, unit: '×', better: 'higher' },
        { name: 'request latency p50', value: percentile(load.latenciesMs, 50), unit: 'ms', better: 'lower' },
        { name: 'request latency p99', value: percentile(load.latenciesMs, 99), unit: 'ms', better: 'lower' },
        { name: 'collector CPU per event', value: (cpu / load.events) * 1e6, unit: 'µs', better: 'lower' },
      ];
    },
    async teardown() {
      await stack?.stop();
    },
  };
}
