import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../bench/ports';
import { stackKafkaLibs } from '../scripts/kafka-libs';
import { repoRoot } from './paths';

const root = repoRoot();

/**
 * A Kafka broker of the test's own (single-node KRaft, like the stack's, on free ports, data
 * under the OS temp dir, 384 MiB heap) that a test may stop, kill and start again: chaos tests
 * must never touch the shared broker other tests run against.
 */
export interface PrivateBroker {
  brokers: string[];
  /** Starts (or restarts, on the same data) and resolves once it answers metadata requests. */
  start(): Promise<void>;
  /** SIGTERM: a clean shutdown (SIGKILL after 30 s). */
  stop(): Promise<void>;
  /** SIGKILL: the process dies where it stands, as in a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: it hangs, connections open and unanswered, as in a long GC pause or a stuck disk. */
  pause(): void;
  /** SIGCONT: it goes on from where it was. */
  resume(): void;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
  /** The end of its log, for failure messages. */
  logTail(): string;
}

function kafkaLibs(): string {
  const libs = stackKafkaLibs();
  if (!existsSync(join(libs, '.complete.json'))) {
    // Only there if `npm run stack` started a broker itself; with an external one, fetch them now.
    const fetchJars = `import('./scripts/stack-lib.mjs').then((m) => m.ensureKafkaJars()).catch((e) => { console.error(e.message); process.exit(1); })`;
    execFileSync(process.execPath, ['--input-type=module', '-e', fetchJars], { cwd: root, stdio: 'inherit' });
  }
  return libs;
}

const java = () => (process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java');

/** A template of stack/ with its placeholders filled and its comments dropped. */
function filled(template: string, values: Record<string, string>): string {
  return readFileSync(join(root, 'stack', template), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .map((line) => line.replace(/\{\{([A-Z_]+)\}\}/g, (m, k: string) => values[k] ?? m))
    .join('\n');
}

/** stack/server.properties with its placeholders filled, so the private broker runs the stack's settings; a cluster's node gets stack/cluster.properties on top. */
function serverProperties(port: number, controllerPort: number, dataDir: string, member?: ClusterMember): string {
  const base = filled('server.properties', {
    KAFKA_HOST: '127.0.0.1',
    KAFKA_PORT: String(port),
    CONTROLLER_PORT: String(controllerPort),
    LOG_DIRS: dataDir,
  });
  if (!member) return base;
  const replicas = Math.min(member.size, 3);
  return `${base}\n${filled('cluster.properties', {
    NODE_ID: String(member.id),
    QUORUM_VOTERS: member.voters,
    REPLICAS: String(replicas),
    MIN_ISR: replicas >= 3 ? '2' : '1',
  })}`;
}

/** A node's place in a private cluster. */
interface ClusterMember {
  id: number;
  size: number;
  /** controller.quorum.voters: every node's id@host:controllerPort. */
  voters: string;
  clusterId: string;
}

const LOG4J = `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
`;

/** A quiet kafkajs admin on `brokers`, quick to give up. */
const quickAdmin = (brokers: string[], clientId: string, retries: number) =>
  new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries } }).admin();

async function answers(brokers: string[]): Promise<boolean> {
  const admin = quickAdmin(brokers, 'private-broker-probe', 0);
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function createPrivateBroker(): Promise<PrivateBroker> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  return privateNode(port, controllerPort, mkdtempSync(join(tmpdir(), 'metering-broker-')));
}

function newClusterId(): string {
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  return clusterId;
}

/** One broker (and controller): alone, or a member of a private cluster (which then owns its directory). */
function privateNode(port: number, controllerPort: number, dir: string, member?: ClusterMember): PrivateBroker {
  const dataDir = join(dir, 'data');
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(props, serverProperties(port, controllerPort, dataDir, member));
  writeFileSync(log4j, LOG4J);
  const libs = join(kafkaLibs(), '*');
  const jvm = [`-Dlog4j.configuration=${pathToFileURL(log4j).href}`, `-Dkafka.logs.dir=${logsDir}`, '-cp', libs];
  const clusterId = member?.clusterId ?? newClusterId();
  const format = spawnSync(java(), [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], {
    encoding: 'utf8',
  });
  if (format.status !== 0) throw new Error(`formatting the private broker failed: ${format.stdout}${format.stderr}`);

  const brokers = [`127.0.0.1:${port}`];
  const stdout = join(logsDir, 'stdout.log');
  let child: ChildProcess | null = null;
  // Whatever happens to the test process, the JVM must not outlive it.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const logTail = () => {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-40).join('\n') : '');
    return `${read(stdout)}\n${read(join(logsDir, 'server.log'))}`;
  };

  const waitExit = async (signal: NodeJS.Signals, graceMs: number) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    child = null;
  };

  return {
    brokers,
    logTail,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null)
        throw new Error('the private broker is already running');
      const fd = openSync(stdout, 'a');
      const c = spawn(
        java(),
        ['-Xmx384m', '-Xms384m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvm, 'kafka.Kafka', props],
        { stdio: ['ignore', fd, fd] },
      );
      closeSync(fd);
      child = c;
      const deadline = Date.now() + 120_000;
      while (!(await answers(brokers))) {
        if (c.exitCode !== null || c.signalCode !== null)
          throw new Error(`the private broker exited (${c.exitCode ?? c.signalCode}):\n${logTail()}`);
        if (Date.now() > deadline) throw new Error(`the private broker did not answer within 120 s:\n${logTail()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop: () => waitExit('SIGTERM', 30_000),
    kill: () => waitExit('SIGKILL', 5_000),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async destroy() {
      child?.kill('SIGCONT');
      await waitExit('SIGTERM', 15_000);
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A KRaft cluster of the test's own, as `npm run stack -- --brokers N` runs one (every node broker
 * and controller, stack/cluster.properties on top of the stack's settings: the internal topics at
 * min(N, 3) replicas), on free ports: a scenario may kill any node and start it again.
 */
export interface PrivateCluster {
  brokers: string[];
  /** Node i + 1 at index i, each one of the cluster's brokers (start, stop, kill, pause as a PrivateBroker). */
  nodes: PrivateBroker[];
  /** Starts every node that is not running, and resolves once all of them are registered. */
  start(): Promise<void>;
  /** The node ids leading each partition of `topic`, from the cluster's metadata. */
  leaders(topic: string): Promise<Map<number, number>>;
  /** Replicas of the pipeline's topics on this cluster, and their min.insync.replicas. */
  replicas: number;
  destroy(): Promise<void>;
  logTail(): string;
}

export async function createPrivateCluster(size = 3): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'metering-cluster-'));
  const ports: { port: number; controllerPort: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const clusterId = newClusterId();
  const nodes = ports.map((p, i) =>
    privateNode(p.port, p.controllerPort, join(dir, `node-${i + 1}`), {
      id: i + 1,
      size,
      voters,
      clusterId,
    }),
  );
  const brokers = nodes.flatMap((n) => n.brokers);
  const admin = () => quickAdmin(brokers, 'private-cluster', 2);
  return {
    brokers,
    nodes,
    replicas: Math.min(size, 3),
    async start() {
      const running = await Promise.all(nodes.map((n) => answers(n.brokers)));
      await Promise.all(nodes.filter((_, i) => !running[i]).map((n) => n.start()));
      const deadline = Date.now() + 120_000;
      for (;;) {
        const a = admin();
        const registered = await a
          .connect()
          .then(() => a.describeCluster())
          .then((c) => c.brokers.length)
          .catch(() => 0)
          .finally(() => a.disconnect().catch(() => undefined));
        if (registered >= size) return;
        if (Date.now() > deadline) throw new Error(`${registered} of ${size} brokers registered after 120 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async leaders(topic) {
      const a = admin();
      await a.connect();
      try {
        const meta = await a.fetchTopicMetadata({ topics: [topic] });
        const counts = new Map<number, number>();
        for (const p of meta.topics[0]?.partitions ?? []) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
        return counts;
      } finally {
        await a.disconnect().catch(() => undefined);
      }
    },
    async destroy() {
      await Promise.all(nodes.map((n) => n.destroy()));
      rmSync(dir, { recursive: true, force: true });
    },
    logTail: () => nodes.map((n, i) => `--- node ${i + 1}\n${n.logTail()}`).join('\n'),
  };
}
