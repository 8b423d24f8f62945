import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { asServiceRole } from '@metering/db';
import { freePort } from './ports';

// bench/ compiled into dist/bench, or run from source (the tests import it through ts-jest).
const root = existsSync(join(__dirname, '..', 'package.json')) ? join(__dirname, '..') : join(__dirname, '..', '..');
export const AGGREGATOR_MAIN = join(root, 'dist', 'apps', 'aggregator', 'src', 'main.js');

/** Resident memory of a process now, from /proc (Linux), in bytes; 0 once it is gone. */
export function residentBytes(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, '')) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface AggregatorEnv {
  databaseUrl: string;
  topic: string;
  dlqTopic: string;
  group: string;
}

/** The real aggregator as a child process (`node dist/apps/aggregator/src/main.js`), its RSS sampled all along. */
export class AggregatorChild {
  peakRss = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly output: string[] = [];

  private constructor(
    readonly process: ChildProcess,
    readonly url: string,
  ) {
    this.sampler = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, residentBytes(process.pid ?? 0));
    }, 50);
    for (const stream of [process.stdout, process.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.output.push(chunk.toString());
        if (this.output.length > 2000) this.output.shift();
      });
    }
  }

  /** @param nodeArgs for profiling (e.g. --cpu-prof); the benchmark runs the aggregator as `npm run aggregator` does */
  static async start(env: AggregatorEnv, nodeArgs: string[] = []): Promise<AggregatorChild> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, AGGREGATOR_MAIN], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: asServiceRole(env.databaseUrl),
        KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
        USAGE_TOPIC: env.topic,
        USAGE_DLQ_TOPIC: env.dlqTopic,
        AGGREGATOR_GROUP: env.group,
        AGGREGATOR_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
    });
    return new AggregatorChild(child, `http://127.0.0.1:${port}`);
  }

  /** Resolves when /health/ready answers 200: Postgres reachable, consumer in its group with its partitions. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null)
        throw new Error(`aggregator exited (${this.process.exitCode}): ${this.logs()}`);
      try {
        if ((await fetch(`${this.url}/health/ready`)).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`aggregator not ready after ${timeoutMs} ms: ${this.logs()}`);
  }

  logs(): string {
    return this.output.join('').slice(-4000);
  }

  /** kill -9: no shutdown hooks, no last commits; whatever was in flight is simply gone. */
  async kill(): Promise<void> {
    clearInterval(this.sampler);
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Polls the stored positions of `group` until they sum to `total` records; resolves with the time it happened. */
export async function waitFolded(
  databaseUrl: string,
  group: string,
  total: number,
  child: AggregatorChild,
  timeoutMs = 600_000,
): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.query<{ n: string | null }>(
        'SELECT sum(next_offset)::text AS n FROM consumer_offsets WHERE consumer_group = $1',
        [group],
      );
      if (Number(rows[0]?.n ?? 0) >= total) return performance.now();
      if (child.process.exitCode !== null)
        throw new Error(`aggregator exited (${child.process.exitCode}): ${child.logs()}`);
      if (Date.now() > deadline) throw new Error(`not folded after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await db.end();
  }
}
