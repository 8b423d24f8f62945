import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { asServiceRole, hashToken, newId, newToken } from '@metering/db';
import { loadConfig } from '@metering/service';
import { createKafka, renamed, replicated, topicConfig, topicSpec } from '@metering/kafka';
import { freePort } from './ports';

const root = join(__dirname, '..', '..');

/** A collector as a real process on its own database and topic, and what a host needs to post to it. */
export interface IngestStack {
  url: string;
  hostToken: string;
  brokers: string[];
  /** Where the collector produces. */
  topic: string;
  /** A second topic of the same settings, for Kafka's own producer to fill. */
  perfTopic: string;
  pid: number;
  stop(): Promise<void>;
}

function databaseUrl(name: string): string {
  const url = new URL(loadConfig().databaseOwnerUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (c: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const c = new Client({ connectionString: databaseUrl(database) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${output()}`);
    if (
      await fetch(`${url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`collector not ready within 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A private, migrated database holding `orgs` and one host; two private topics with the
 * declared settings of usage.events.v1; the built collector (`node dist/apps/collector/src/main.js`,
 * as `npm run services` runs it) on a free port. stop() removes all of it.
 */
export async function startIngestStack(
  orgs: readonly string[],
  on: { brokers?: string[]; replicas?: number } = {},
): Promise<IngestStack> {
  const suffix = randomBytes(4).toString('hex');
  const database = `metering_bench_${suffix}`;
  const url = databaseUrl(database);
  const brokers = on.brokers ?? (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
  const topic = `bench.${suffix}.usage.events.v1`;
  const perfTopic = `bench.${suffix}.producer-performance`;
  const kafka = createKafka(brokers, `bench-${suffix}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(`bench cleanup: ${String(e)}`));
  };
  try {
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
    const migrate = `import('./scripts/stack-lib.mjs').then((m) => m.migrate(process.argv[1])).catch((e) => { console.error(e.output ?? e); process.exit(1); })`;
    execFileSync(process.execPath, ['--input-type=module', '-e', migrate, url], { stdio: 'inherit', cwd: root });
    // Seeded directly: the API is not what is measured. A host is a hosts row and a hashed token.
    const hostToken = newToken('mh');
    await admin(async (c) => {
      await c.query('INSERT INTO organizations (slug, name) SELECT s, s FROM unnest($1::text[]) AS s', [orgs]);
      const hostId = newId('h');
      await c.query('INSERT INTO hosts (id, name) VALUES ($1, $2)', [hostId, 'bench-host']);
      await c.query(`INSERT INTO tokens (id, hash, kind, host_id, name) VALUES ($1, $2, 'host', $3, $4)`, [
        newId('tok'),
        hashToken(hostToken),
        hostId,
        'bench-host',
      ]);
    }, database);

    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      await admin2.createTopics({
        waitForLeaders: true,
        topics: [topic, perfTopic].map((t) =>
          topicConfig(replicated(renamed(topicSpec('usage.events.v1'), t), on.replicas ?? 1)),
        ),
      });
    } finally {
      await admin2.disconnect();
    }
    cleanups.push(async () => {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [topic, perfTopic] }).finally(() => a.disconnect());
    });

    const port = await freePort();
    // e.g. BENCH_INGEST_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' to see where the collector's time goes.
    const nodeArgs = (process.env['BENCH_INGEST_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'apps', 'collector', 'src', 'main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: asServiceRole(url),
        KAFKA_BROKERS: brokers.join(','),
        USAGE_TOPIC: topic,
        COLLECTOR_PORT: String(port),
        METERING_OPERATOR_TOKEN: randomBytes(24).toString('hex'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    });
    const collectorUrl = `http://127.0.0.1:${port}`;
    await waitReady(collectorUrl, child, () => output);
    return { url: collectorUrl, hostToken, brokers, topic, perfTopic, pid: child.pid!, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
