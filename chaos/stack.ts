import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { createAndWait, createKafka, topicCopies, untilFolded } from '@metering/kafka';
import { asServiceRole, createPool, dropDatabase, freshDatabase, storedPositions } from '@metering/db';
import { loadConfig } from '@metering/service';
import { repoRoot } from './paths';
import { freePort } from '../bench/ports';
import { createPrivateCluster, PrivateBroker, PrivateCluster } from './private-broker';
import type { PrivatePostgres } from './private-postgres';

export type ServiceName = 'collector' | 'aggregator' | 'invoicing' | 'api';
export const CHAOS_OPERATOR_TOKEN = 'chaos-operator-token-0123456789';

const PORT_VARIABLE: Record<ServiceName, string> = {
  collector: 'COLLECTOR_PORT',
  aggregator: 'AGGREGATOR_PORT',
  invoicing: 'INVOICING_PORT',
  api: 'API_PORT',
};

/** The built entry point beside this module when it runs built, or the repository's dist/ when it runs from source. */
function mainOf(service: ServiceName): string {
  const beside = join(__dirname, '..', 'apps', service, 'src', 'main.js');
  return existsSync(beside) ? beside : join(repoRoot(), 'dist', 'apps', service, 'src', 'main.js');
}

/** One service as a real process (`node dist/apps/<service>/src/main.js`), which a scenario may kill and start again. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private stderr: string[] = [];
  readonly url: string;
  /** How many times it was started, killed with SIGKILL, and how many times it died by itself. */
  readonly counts = { starts: 0, kills: 0, unexpectedExits: 0 };

  constructor(
    readonly name: string,
    readonly service: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and resolves once `/health/ready` answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [mainOf(this.service)], {
      env: { ...process.env, ...this.env, [PORT_VARIABLE[this.service]]: String(this.port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.counts.starts++;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 200) this.stderr.splice(0, 100);
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) this.counts.unexpectedExits++;
    });
    await this.ready(timeoutMs);
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.logs()}`);
      if (
        await fetch(`${this.url}/health/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready in ${timeoutMs} ms:\n${this.logs()}`);
      await sleep(100);
    }
  }

  /** SIGKILL: it dies where it stands. */
  async kill(): Promise<void> {
    this.counts.kills++;
    await this.signal('SIGKILL', 5_000);
  }

  /** SIGTERM: a clean shutdown (SIGKILL after 15 s). */
  stop(): Promise<void> {
    return this.signal('SIGTERM', 15_000);
  }

  private async signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  logs(): string {
    return this.stderr.join('').slice(-3000);
  }
}

export interface ChaosStackOptions {
  /** Names the database (`metering_chaos_<name>_<stamp>`), the topics and the consumer group. */
  name: string;
  services: ServiceName[];
  /**
   * A private broker or cluster the scenario may stop; otherwise the shared broker (KAFKA_BROKERS),
   * or with CHAOS_BROKERS=3 a private three-broker cluster of the stack's own (`chaosBrokers`).
   */
  broker?: PrivateBroker | PrivateCluster;
  /** A private Postgres the scenario may crash; the shared one (DATABASE_OWNER_URL) otherwise. */
  postgres?: PrivatePostgres;
  env?: Record<string, string>;
}

const ownerBase = () => loadConfig().databaseOwnerUrl;

/** CHAOS_BROKERS: how many brokers the scenarios that use no broker of their own run on (1, the shared broker, by default). */
export function chaosBrokers(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['CHAOS_BROKERS'] ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 9)
    throw new Error(`CHAOS_BROKERS=${env['CHAOS_BROKERS']}: a count from 1 to 9`);
  return n;
}

/**
 * A whole pipeline of the scenario's own: a fresh migrated database, its own topics, and the
 * services as processes on free ports, connected as the services' role.
 */
export class ChaosStack {
  readonly procs = new Map<string, ServiceProcess>();
  private constructor(
    readonly name: string,
    readonly ownerUrl: string,
    readonly serviceUrl: string,
    readonly brokers: string[],
    readonly topics: { usage: string; dlq: string; invoices: string },
    readonly group: string,
    readonly kafka: Kafka,
    /** The owner's pool, for checking what the services wrote. */
    readonly pool: Pool,
    private readonly env: Record<string, string>,
    /** The private cluster this stack started for itself (CHAOS_BROKERS), destroyed by stop(). */
    readonly ownCluster: PrivateCluster | null = null,
  ) {}

  static async start(opts: ChaosStackOptions): Promise<ChaosStack> {
    if (opts.broker || chaosBrokers() === 1) return ChaosStack.open(opts, opts.broker, null);
    const ownCluster = await createPrivateCluster(chaosBrokers());
    try {
      await ownCluster.start();
      return await ChaosStack.open(opts, ownCluster, ownCluster);
    } catch (e) {
      await ownCluster.destroy();
      throw e;
    }
  }

  private static async open(
    opts: ChaosStackOptions,
    broker: PrivateBroker | PrivateCluster | undefined,
    ownCluster: PrivateCluster | null,
  ): Promise<ChaosStack> {
    // Stamped, so a run beside another (a test run beside `npm run chaos`) never shares a database or topic.
    const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const database = `metering_chaos_${opts.name.replace(/[^a-z0-9_]/g, '_')}_${stamp}`;
    const ownerUrl = await freshDatabase(opts.postgres ? opts.postgres.url('postgres') : ownerBase(), database);
    const serviceUrl = asServiceRole(ownerUrl);
    const brokers = broker?.brokers ?? (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
    const replicas = broker && 'replicas' in broker ? broker.replicas : 1;
    const topics = {
      usage: `chaos.${opts.name}.${stamp}.usage.v1`,
      dlq: `chaos.${opts.name}.${stamp}.dlq.v1`,
      invoices: `chaos.${opts.name}.${stamp}.invoices.v1`,
    };
    const kafka = createKafka(brokers, `chaos-${opts.name}`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createAndWait(admin, topicCopies(topics, replicas));
    } finally {
      await admin.disconnect();
    }
    const group = `chaos-${opts.name}-${stamp}`;
    const env: Record<string, string> = {
      DATABASE_URL: serviceUrl,
      DATABASE_OWNER_URL: ownerUrl,
      KAFKA_BROKERS: brokers.join(','),
      METERING_OPERATOR_TOKEN: CHAOS_OPERATOR_TOKEN,
      USAGE_TOPIC: topics.usage,
      USAGE_DLQ_TOPIC: topics.dlq,
      INVOICES_TOPIC: topics.invoices,
      AGGREGATOR_GROUP: group,
      LOG_LEVEL: 'warn',
      // The scenario's few hosts send what a fleet would: lift the per-token limits.
      RATE_LIMIT_INGEST: '1000000',
      RATE_LIMIT_READ: '1000000',
      ...opts.env,
    };
    const stack = new ChaosStack(
      opts.name,
      ownerUrl,
      serviceUrl,
      brokers,
      topics,
      group,
      kafka,
      createPool(ownerUrl, { max: 4 }),
      env,
      ownCluster,
    );
    try {
      for (const s of opts.services) await stack.spawn(s);
    } catch (e) {
      await stack.stop();
      throw e;
    }
    return stack;
  }

  /** Starts one more instance of a service (a second aggregator, say) under `name`. */
  async spawn(service: ServiceName, name: string = service): Promise<ServiceProcess> {
    const proc = new ServiceProcess(name, service, await freePort(), this.env);
    this.procs.set(name, proc);
    await proc.start();
    return proc;
  }

  proc(name: string): ServiceProcess {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no service process '${name}' in this stack`);
    return p;
  }

  url(name: string): string {
    return this.proc(name).url;
  }

  /** The environment the services run with (database URLs, brokers, topics, group, token): to run a service in-process, `loadConfig({ ...process.env, ...stack.serviceEnv() })`. */
  serviceEnv(): Record<string, string> {
    return { ...this.env };
  }

  /** Organizations and one host, through the API as the operator makes them; the host's token. */
  async seed(orgs: readonly string[]): Promise<string> {
    for (const slug of orgs) await operatorCall(`${this.url('api')}/v1/orgs`, { slug, name: slug });
    return ((await operatorCall(`${this.url('api')}/v1/hosts`, { name: `chaos-${this.name}` })) as { token: string })
      .token;
  }

  /** Resolves once the stored positions of the aggregator reach the end of the usage topic. */
  async foldedToEnd(timeoutMs = 300_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await untilFolded({
        admin,
        topic: this.topics.usage,
        stored: () => storedPositions(this.pool, this.group, this.topics.usage),
        timeoutMs,
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** What each process logged last, for a failure's message. */
  logs(): string {
    return [...this.procs.values()].map((p) => `--- ${p.name}\n${p.logs()}`).join('\n');
  }

  async stop(opts: { keepDatabase?: boolean } = {}): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop()));
    await this.pool.end().catch(() => undefined);
    const admin = this.kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    if (!opts.keepDatabase)
      await dropDatabase(this.ownerUrl, new URL(this.ownerUrl).pathname.slice(1)).catch(() => undefined);
    await this.ownCluster?.destroy();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A call as the operator; throws on anything but 2xx. */
export async function operatorCall(
  url: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${CHAOS_OPERATOR_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
