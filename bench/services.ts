import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asServiceRole } from '@metering/db';
import { createKafka, topicCopies } from '@metering/kafka';

const root = join(__dirname, '..', '..');
export const BENCH_OPERATOR_TOKEN = 'bench-operator-token-0123456789';

export type ServiceName = 'collector' | 'aggregator' | 'invoicing' | 'api';

export interface BenchStack {
  url: Record<ServiceName, string>;
  pid: Record<ServiceName, number>;
  topics: { usage: string; dlq: string; invoices: string };
  env: Record<string, string>;
  stop(): Promise<void>;
}

const PORTS: Record<ServiceName, number> = { collector: 14100, aggregator: 14300, invoicing: 14200, api: 14000 };

/** Resident set size of a process, in bytes, from /proc (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function ready(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The services as real processes (built ones, as `npm run services` runs them) on their own
 * ports, database and topics, so a benchmark measures what a deployment would run.
 */
export async function startBenchStack(name: string, databaseUrl: string, services: ServiceName[]): Promise<BenchStack> {
  const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
  const topics = {
    usage: `bench.${name}.usage.events.v1`,
    dlq: `bench.${name}.usage.events.dlq.v1`,
    invoices: `bench.${name}.billing.invoices.v1`,
  };
  const kafka = createKafka(brokers.split(','), `bench-${name}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const stale = Object.values(topics).filter((t) => existing.has(t));
    if (stale.length > 0) await admin.deleteTopics({ topics: stale });
    await admin.createTopics({
      waitForLeaders: true,
      topics: topicCopies(topics),
    });
  } finally {
    await admin.disconnect();
  }
  const env: Record<string, string> = {
    DATABASE_URL: asServiceRole(databaseUrl),
    DATABASE_OWNER_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    METERING_OPERATOR_TOKEN: BENCH_OPERATOR_TOKEN,
    USAGE_TOPIC: topics.usage,
    USAGE_DLQ_TOPIC: topics.dlq,
    INVOICES_TOPIC: topics.invoices,
    AGGREGATOR_GROUP: `bench-${name}`,
    LOG_LEVEL: 'warn',
    // A benchmark's few clients send what many hosts and users would: lift the per-token limits.
    RATE_LIMIT_INGEST: '1000000',
    RATE_LIMIT_READ: '1000000',
    COLLECTOR_PORT: String(PORTS.collector),
    AGGREGATOR_PORT: String(PORTS.aggregator),
    INVOICING_PORT: String(PORTS.invoicing),
    API_PORT: String(PORTS.api),
  };
  const children = new Map<ServiceName, ChildProcess>();
  for (const s of services) {
    const child = spawn(process.execPath, [join(root, 'dist', 'apps', s, 'src', 'main.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.set(s, child);
  }
  const url = Object.fromEntries(Object.entries(PORTS).map(([s, p]) => [s, `http://127.0.0.1:${p}`])) as Record<
    ServiceName,
    string
  >;
  await Promise.all(services.map((s) => ready(url[s], 60_000)));
  const pid = Object.fromEntries([...children].map(([s, c]) => [s, c.pid ?? 0])) as Record<ServiceName, number>;
  return {
    url,
    pid,
    topics,
    env,
    async stop() {
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
              setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
            }),
        ),
      );
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await a.disconnect();
    },
  };
}

/** POST with the bench operator's or a given token; throws on an unexpected status. */
export async function benchCall(
  url: string,
  token: string,
  body?: unknown,
  expect: number[] = [200, 201, 202],
): Promise<any> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
