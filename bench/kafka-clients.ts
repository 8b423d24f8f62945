import { randomBytes } from 'node:crypto';
import {
  createKafka,
  decodeBatch,
  encodeUsageEvent,
  foldDecoder,
  messageRecords,
  OutRecord,
  RecordSet,
  USAGE_EVENT_SCHEMA,
  wireRecordSink,
  wireRecordSource,
} from '@metering/kafka';
import type { Benchmark, Figure } from './harness';
import { benchStream } from './fold-events';

/**
 * Our wire client against @platformatic/kafka, side by side in one run on the same broker and
 * the same events: the sink (acknowledged idempotent produce, acks from all in-sync replicas, as
 * the collector sends) and the source (a topic read from its start and decoded into the fold's
 * columns, as the aggregator reads). CPU per event is this process's user+system time over the
 * events (the broker's CPU is not in it). @platformatic/kafka is not a dependency (its optional
 * @node-rs/crc32 downloads a native binary): install it with
 * `npm install --no-save --omit=optional @platformatic/kafka@2.12.1` to run this.
 */
const EVENTS = 60_000;
const SEND_EVENTS = 2_000; // what one collector send carries at load
const PARTITIONS = 12;

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const SCHEMA_HEADER = { key: Buffer.from('schema'), value: Buffer.from(USAGE_EVENT_SCHEMA) };

interface Encoded {
  org: string;
  value: Buffer;
}

let events: Encoded[] = [];

let pfk: any;
const topics: string[] = [];

async function newTopic(): Promise<string> {
  const topic = `bench.clients.${randomBytes(4).toString('hex')}`;
  const admin = createKafka(brokers, 'bench-clients').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  topics.push(topic);
  return topic;
}

const cpuMicros = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

/** Runs `work` over all events; CPU µs per event and events per second. */
async function measure(work: () => Promise<void>): Promise<{ cpu: number; rate: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  return { cpu: cpuMicros(cpu) / EVENTS, rate: EVENTS / seconds };
}

async function produceOurs(topic: string): Promise<void> {
  const sink = await wireRecordSink({ brokers, topic, clientId: 'bench-ours' }, Date.now() + 10_000);
  try {
    for (let at = 0; at < events.length; at += SEND_EVENTS) {
      const byPartition = new Map<number, OutRecord[]>();
      for (const e of events.slice(at, at + SEND_EVENTS)) {
        const p = sink.partitionOf(e.org);
        const list = byPartition.get(p) ?? [];
        list.push({ key: Buffer.from(e.org), value: e.value, headers: [SCHEMA_HEADER] });
        byPartition.set(p, list);
      }
      await sink.produce(byPartition, Date.now() + 30_000);
    }
  } finally {
    sink.close();
  }
}

async function producePlatformatic(topic: string): Promise<void> {
  const producer = new pfk.Producer({ clientId: 'bench-pfk', bootstrapBrokers: brokers, idempotent: true, acks: -1 });
  try {
    for (let at = 0; at < events.length; at += SEND_EVENTS) {
      await producer.send({
        messages: events.slice(at, at + SEND_EVENTS).map((e) => ({
          topic,
          key: Buffer.from(e.org),
          value: e.value,
          headers: new Map([[SCHEMA_HEADER.key, SCHEMA_HEADER.value]]),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** Reads the topic from its start into the fold's columns until every event (`total`) is decoded. */
export async function foldOurs(topic: string, from: string[] = brokers, total = EVENTS): Promise<void> {
  const decoder = foldDecoder();
  let folded = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const source = wireRecordSource({
    brokers: from,
    topic,
    clientId: 'bench-ours-source',
    maxBytesPerPartition: 1 << 20,
    maxBytes: 8 << 20,
    minBytes: 1,
    maxWaitTimeInMs: 100,
    deliver: async (b) => {
      folded += decodeBatch(b.records, decoder).columns.length;
      if (folded >= total) done();
    },
    outOfRange: () => undefined,
    warn: () => undefined,
  });
  for (let p = 0; p < PARTITIONS; p++) source.seek(p, 0n);
  source.start();
  await finished;
  await source.stop();
}

async function foldPlatformatic(topic: string): Promise<void> {
  const decoder = foldDecoder();
  const consumer = new pfk.Consumer({
    groupId: `bench-pfk-${randomBytes(4).toString('hex')}`,
    clientId: 'bench-pfk-source',
    bootstrapBrokers: brokers,
    maxBytes: 8 << 20,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: pfk.MessagesStreamModes.EARLIEST, autocommit: false });
  let folded = 0;

  let pending: any[] = [];
  const flush = () => {
    const records: RecordSet = messageRecords(
      pending.map((m) => ({
        offset: String(m.offset),
        key: m.key,
        value: m.value,
        headers: { schema: m.headers.get(SCHEMA_HEADER.key) ?? findHeader(m.headers) },
      })),
    );
    folded += decodeBatch(records, decoder).columns.length;
    pending = [];
  };
  for await (const m of stream) {
    pending.push(m);
    if (pending.length >= 1000 || folded + pending.length >= EVENTS) flush();
    if (folded >= EVENTS) break;
  }
  await stream.close();
  await consumer.close(true);
}

function findHeader(headers: Map<any, any>): Buffer | undefined {
  for (const [k, v] of headers) if (String(k) === 'schema') return v;
  return undefined;
}

export function kafkaClientsBenchmark(): Benchmark {
  return {
    name: 'kafka-clients',
    title: 'Kafka clients: our wire client against @platformatic/kafka',
    method: `${EVENTS.toLocaleString('en')} fold-benchmark events, encoded once: each client produces them (idempotent, acks all, ${SEND_EVENTS.toLocaleString('en')} events a send, into a ${PARTITIONS}-partition topic of its own) and reads a written topic from its start into the fold's columns; CPU per event is this process's user+system time. The clients alternate within a run.`,
    goals: [
      {
        figure: 'sink CPU, ours / platformatic',
        op: '<=',
        value: 0.8,
        text: 'our sink saves more than 20% of the CPU per event (else move to the library)',
      },
      {
        figure: 'source CPU, ours / platformatic',
        op: '<=',
        value: 0.8,
        text: 'our source saves more than 20% of the CPU per event (else move to the library)',
      },
    ],
    runs: 5,
    async setup() {
      pfk = await import(String('@platformatic/kafka'));
      events = [];
      const start = Date.UTC(2026, 10, 1);
      for (const { event } of benchStream({ total: EVENTS, machines: 2_000, orgs: 40, intervalMinutes: 5, start }))
        events.push({ org: event.org, value: encodeUsageEvent(event, start) });
    },
    async run(): Promise<Figure[]> {
      const oursTopic = await newTopic();
      const pfkTopic = await newTopic();
      const sinkOurs = await measure(() => produceOurs(oursTopic));
      const sinkPfk = await measure(() => producePlatformatic(pfkTopic));
      // Both read the topic our sink wrote, so they read the same batches.
      const sourcePfk = await measure(() => foldPlatformatic(oursTopic));
      const sourceOurs = await measure(() => foldOurs(oursTopic));
      return [
        { name: 'sink CPU per event, ours', value: sinkOurs.cpu, unit: 'µs', better: 'lower' },
        { name: 'sink CPU per event, platformatic', value: sinkPfk.cpu, unit: 'µs', better: 'lower' },
        { name: 'sink CPU, ours / platformatic', value: sinkOurs.cpu / sinkPfk.cpu, unit: '×', better: 'lower' },
        { name: 'sink throughput, ours', value: sinkOurs.rate, unit: 'events/s', better: 'higher' },
        { name: 'sink throughput, platformatic', value: sinkPfk.rate, unit: 'events/s', better: 'higher' },
        { name: 'source CPU per event, ours', value: sourceOurs.cpu, unit: 'µs', better: 'lower' },
        { name: 'source CPU per event, platformatic', value: sourcePfk.cpu, unit: 'µs', better: 'lower' },
        {
          name: 'source CPU, ours / platformatic',
          value: sourceOurs.cpu / sourcePfk.cpu,
          unit: '×',
          better: 'lower',
        },
        { name: 'source throughput, ours', value: sourceOurs.rate, unit: 'events/s', better: 'higher' },
        { name: 'source throughput, platformatic', value: sourcePfk.rate, unit: 'events/s', better: 'higher' },
      ];
    },
    async teardown() {
      const admin = createKafka(brokers, 'bench-clients').admin();
      await admin.connect();
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
