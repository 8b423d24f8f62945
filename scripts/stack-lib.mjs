// Shared helpers of the local development stack (scripts/stack.mjs, scripts/stack-stop.mjs).
//
// Plain Node ESM, no build step; only node built-ins plus kafkajs and pg.
// Tests and other scripts may import the exported functions, e.g.
//
//   import { ensureTopics, ensureDatabase, migrate } from '../scripts/stack-lib.mjs';
//   await ensureTopics('127.0.0.1:9092', 'schemas/topics.json');
//   await ensureDatabase(ownerDatabaseUrl());
//   await migrate(ownerDatabaseUrl(), 'migrations');
//
// Environment (all optional):
//   METERING_HOME          cache/state dir               ($HOME/.cache/usage-metering)
//   KAFKA_BROKERS          comma-separated host:port     (127.0.0.1:9092)
//   KAFKA_CONTROLLER_PORT  KRaft controller port         (9093)
//   KAFKA_HEAP_OPTS        broker JVM heap               (-Xms512m -Xmx1g)
//   KAFKA_START_TIMEOUT_MS how long to wait for a start  (90000)
//   DATABASE_OWNER_URL     Postgres URL of the schema's owner, for creating the database and
//                          migrating it                  (postgres://postgres@127.0.0.1:5432/metering)
//   DATABASE_URL           what the services connect as  (postgres://metering_app@127.0.0.1:5432/metering);
//                          the owner's URL is derived from it when DATABASE_OWNER_URL is not set
//   MIGRATIONS_DIR         migrations dir                (migrations)
//   TOPICS_FILE            topic declarations            (schemas/topics.json)
//   JAVA_HOME / MVN        java and maven to use         (java / mvn from PATH)

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const POM_FILE = path.join(REPO_ROOT, 'stack', 'pom.xml');
export const SERVER_PROPERTIES_TEMPLATE = path.join(REPO_ROOT, 'stack', 'server.properties');

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_DATABASE_OWNER_URL = 'postgres://postgres@127.0.0.1:5432/metering';
export const SERVICE_ROLE = 'metering_app';
export const DEFAULT_TOPICS_FILE = path.join(REPO_ROOT, 'schemas', 'topics.json');
export const DEFAULT_MIGRATIONS_DIR = 'migrations';
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Kafka version, read from stack/pom.xml (the single place to change it). */
export function kafkaVersion() {
  const pom = fs.readFileSync(POM_FILE, 'utf8');
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m) throw new Error(`no <kafka.version> in ${POM_FILE}`);
  return m[1];
}

/** Every file and directory the stack uses, all under METERING_HOME. */
export function stackPaths(env = process.env) {
  const home = path.resolve(env.METERING_HOME || path.join(os.homedir(), '.cache', 'usage-metering'));
  const version = kafkaVersion();
  const kafkaDir = path.join(home, `kafka-${version}`);
  const logs = path.join(home, 'logs');
  return {
    home,
    kafkaVersion: version,
    kafkaDir,
    libs: path.join(kafkaDir, 'libs'),
    libsMarker: path.join(kafkaDir, 'libs', '.complete.json'),
    dataDir: path.join(home, 'kafka-data'),
    serverProps: path.join(home, 'kafka-server.properties'),
    log4jProps: path.join(home, 'kafka-log4j.properties'),
    clusterIdFile: path.join(home, 'kafka-cluster-id'),
    pidFile: path.join(home, 'kafka.pid'),
    pgMarker: path.join(home, 'postgres.started-by-stack'),
    lockFile: path.join(home, 'stack.lock'),
    logs,
    kafkaLog: path.join(logs, 'kafka.log'),
    serverLog: path.join(logs, 'server.log'),
    mavenLog: path.join(logs, 'maven.log'),
    migrateLog: path.join(logs, 'migrate.log'),
  };
}

// ---------------------------------------------------------------------------
// small utilities

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function fmtSecs(ms) {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** "a:1, b:2" | ["a:1"] -> ["a:1", "b:2"] */
export function parseBrokers(brokers) {
  const list = Array.isArray(brokers) ? brokers : String(brokers || DEFAULT_KAFKA_BROKERS).split(',');
  const out = list.map((s) => String(s).trim()).filter(Boolean);
  if (out.length === 0) throw new Error('no Kafka brokers given');
  return out;
}

export function splitHostPort(hostPort, defaultPort = 9092) {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hostPort.trim());
  if (!m) throw new Error(`bad host:port "${hostPort}"`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

/** Last `lines` lines of a text file ('' when it does not exist). Reads at most the last 256 KiB. */
export function tailFile(file, lines = 30) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const text = buf.toString('utf8').replace(/\s+$/, '');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function readTrimmed(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Is `cmd` an executable on PATH (or an existing path)? Returns its path or null. */
export function which(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? cmd : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** TCP connect probe: true when something accepts connections on host:port. */
export function tcpOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** True when host:port can be bound right now (nobody listens there). */
export function portFree(host, port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------
// processes

/** Alive and not a zombie. */
export function isAlive(pid) {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code === 'EPERM') return true; // exists, owned by someone else
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." -- state after the last ')'
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc (macOS): trust kill(0) */
  }
  return true;
}

/** Full command line of a process, '' if unknown. */
export function processCmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const r = spawnSync('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  }
}

/** [{pid, cmd}] of every process whose command line contains all `needles`. */
export function findProcesses(...needles) {
  const out = [];
  if (fs.existsSync('/proc/self/cmdline')) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      let cmd;
      try {
        cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (needles.every((n) => cmd.includes(n)) && isAlive(pid)) out.push({ pid, cmd });
    }
  } else {
    const r = spawnSync('ps', ['-axww', '-o', 'pid=,command='], { encoding: 'utf8' });
    for (const line of (r.stdout || '').split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (!m || Number(m[1]) === process.pid) continue;
      if (needles.every((n) => m[2].includes(n))) out.push({ pid: Number(m[1]), cmd: m[2] });
    }
  }
  return out;
}

/** The pid in the pid file if that process is alive and is a Kafka broker, else null. */
export function brokerPidFromFile(paths) {
  const pid = Number(readTrimmed(paths.pidFile));
  if (!pid || !isAlive(pid)) return null;
  const cmd = processCmdline(pid);
  if (cmd && !cmd.includes('kafka.Kafka')) return null; // pid reused by something else
  return pid;
}

/** Brokers started by this stack: the pid file's, plus any kafka.Kafka running on our rendered properties. */
export function stackBrokerPids(paths) {
  const pids = new Set();
  const fromFile = brokerPidFromFile(paths);
  if (fromFile) pids.add(fromFile);
  for (const p of findProcesses('kafka.Kafka', paths.serverProps)) pids.add(p.pid);
  return [...pids];
}

/** SIGTERM, wait up to timeoutMs, then SIGKILL. Resolves to 'exited' | 'killed' | 'gone'. */
export async function terminate(pid, timeoutMs = 30000) {
  if (!isAlive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'exited';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* raced */
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

/**
 * Cross-process lock on METERING_HOME (two `npm run stack` at once would start two brokers).
 * Returns a release function. Stale locks (dead pid) are taken over.
 */
export async function acquireLock(lockFile, { timeoutMs = 10 * 60 * 1000, onWait } = {}) {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(readTrimmed(lockFile));
      if (!holder || !isAlive(holder) || holder === process.pid) {
        try {
          fs.unlinkSync(lockFile);
        } catch {
          /* someone else took it over */
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} is held by pid ${holder}`);
      if (!told && onWait) onWait(holder);
      told = true;
      await sleep(500);
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (Number(readTrimmed(lockFile)) === process.pid) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', release);
  return release;
}

// ---------------------------------------------------------------------------
// Kafka: jars

/** Hash of pom.xml without comments and whitespace: editing a comment does not re-download. */
function pomHash() {
  const pom = fs
    .readFileSync(POM_FILE, 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+/g, '');
  return createHash('sha256').update(pom).digest('hex');
}

/** True when the libs dir holds a complete download for the current pom.xml. */
export function kafkaJarsComplete(paths = stackPaths()) {
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(paths.libsMarker, 'utf8'));
  } catch {
    return false;
  }
  if (marker.pomSha256 !== pomHash() || !Array.isArray(marker.jars) || marker.jars.length === 0) return false;
  return marker.jars.every((j) => fs.existsSync(path.join(paths.libs, j)));
}

/**
 * Make sure the broker's jars are in paths.libs (Maven download on first use only).
 * Returns { downloaded: boolean, jars: number }. Throws (with .logFile) on failure.
 */
export function ensureKafkaJars(paths = stackPaths()) {
  if (kafkaJarsComplete(paths)) {
    const n = JSON.parse(fs.readFileSync(paths.libsMarker, 'utf8')).jars.length;
    return { downloaded: false, jars: n };
  }
  const mvn = process.env.MVN || 'mvn';
  if (!which(mvn)) {
    const err = new Error(
      `Maven ("${mvn}") not found: it downloads the Kafka jars once. Install Maven, or set MVN, ` +
        `or run Kafka yourself (docker compose up -d) and re-run.`,
    );
    throw err;
  }
  fs.mkdirSync(paths.logs, { recursive: true });
  const partial = `${paths.libs}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const args = [
    '-B',
    '--no-transfer-progress',
    '-Dstyle.color=never',
    '-f',
    POM_FILE,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${partial}`,
    '-DincludeScope=runtime',
    '-DexcludeTransitive=false',
  ];
  const logFd = fs.openSync(paths.mavenLog, 'w');
  fs.writeSync(logFd, `$ ${mvn} ${args.join(' ')}\n`);
  const r = spawnSync(mvn, args, { stdio: ['ignore', logFd, logFd], cwd: REPO_ROOT });
  fs.closeSync(logFd);
  if (r.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    const err = new Error(`maven exited with ${r.status ?? r.signal ?? r.error?.message}`);
    err.logFile = paths.mavenLog;
    throw err;
  }
  const jars = fs.readdirSync(partial).filter((f) => f.endsWith('.jar')).sort();
  const bindings = jars.filter((j) => /^(slf4j-(reload4j|log4j12|simple|jdk14|nop)|logback-classic|log4j-slf4j2?-impl)-/.test(j));
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${paths.kafkaVersion}`)) || bindings.length !== 1) {
    const err = new Error(
      `unexpected download in ${partial}: ${jars.length} jars, SLF4J bindings: ${bindings.join(', ') || 'none'}`,
    );
    err.logFile = paths.mavenLog;
    throw err;
  }
  fs.writeFileSync(
    path.join(partial, '.complete.json'),
    JSON.stringify({ kafkaVersion: paths.kafkaVersion, pomSha256: pomHash(), jars }, null, 2) + '\n',
  );
  fs.rmSync(paths.libs, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(paths.libs), { recursive: true });
  fs.renameSync(partial, paths.libs);
  return { downloaded: true, jars: jars.length };
}

/** `java` to run: $JAVA_HOME/bin/java if set, else from PATH. */
export function javaCommand() {
  if (process.env.JAVA_HOME) {
    const j = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(j)) return j;
  }
  return 'java';
}

/** Throws a readable error when java cannot run; returns its version line. */
export function checkJava() {
  const java = javaCommand();
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `cannot run "${java}" (${r.error?.code || `exit ${r.status}`}): the broker needs Java 17+ on PATH or in JAVA_HOME`,
    );
  }
  return (r.stderr || r.stdout || '').split('\n')[0].trim();
}

/** Classpath argument for java: '<libs>/*' (java expands the wildcard itself). */
export function kafkaClasspath(paths = stackPaths()) {
  return `${paths.libs}${path.sep}*`;
}

// ---------------------------------------------------------------------------
// Kafka: broker config, format, start

/** Kafka's Uuid string form: base64url of 16 random bytes, no padding, not starting with '-'. */
export function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function readMetaProperties(dataDir) {
  const text = readTrimmed(path.join(dataDir, 'meta.properties'));
  if (text == null) return null;
  const props = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) props[m[1]] = m[2].trim();
  }
  return props;
}

export function renderServerProperties(paths, env = process.env) {
  const first = splitHostPort(parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS)[0]);
  const controllerPort = Number(env.KAFKA_CONTROLLER_PORT || 9093);
  const values = {
    KAFKA_HOST: first.host,
    KAFKA_PORT: String(first.port),
    CONTROLLER_PORT: String(controllerPort),
    LOG_DIRS: paths.dataDir,
  };
  // comment lines are copied as they are (they document the placeholders)
  const text = fs
    .readFileSync(SERVER_PROPERTIES_TEMPLATE, 'utf8')
    .split('\n')
    .map((line) =>
      /^\s*#/.test(line)
        ? line
        : line.replace(/\{\{([A-Z_]+)\}\}/g, (m, k) => {
            if (!(k in values)) throw new Error(`unknown placeholder ${m} in ${SERVER_PROPERTIES_TEMPLATE}`);
            return values[k];
          }),
    )
    .join('\n');
  const header = `# GENERATED from stack/server.properties by scripts/stack.mjs -- edit the template, not this file.\n`;
  fs.mkdirSync(path.dirname(paths.serverProps), { recursive: true });
  fs.writeFileSync(paths.serverProps, header + text);
  return { host: first.host, port: first.port, controllerPort };
}

export function renderLog4jProperties(paths) {
  // Broker stdout/stderr go to logs/kafka.log (WARN and up only, plus JVM crashes);
  // the full INFO log goes to logs/server.log, controller/state-change/cleaner logs next to it.
  const text = `# GENERATED by scripts/stack.mjs: log4j (reload4j) config of the local Kafka broker.
# \${kafka.logs.dir} is set with -Dkafka.logs.dir on the java command line.
log4j.rootLogger=INFO, stdout, kafkaAppender

log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Threshold=WARN
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender
log4j.appender.kafkaAppender.File=\${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.MaxFileSize=50MB
log4j.appender.kafkaAppender.MaxBackupIndex=3
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.stateChangeAppender=org.apache.log4j.RollingFileAppender
log4j.appender.stateChangeAppender.File=\${kafka.logs.dir}/state-change.log
log4j.appender.stateChangeAppender.MaxFileSize=20MB
log4j.appender.stateChangeAppender.MaxBackupIndex=2
log4j.appender.stateChangeAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.stateChangeAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.controllerAppender=org.apache.log4j.RollingFileAppender
log4j.appender.controllerAppender.File=\${kafka.logs.dir}/controller.log
log4j.appender.controllerAppender.MaxFileSize=20MB
log4j.appender.controllerAppender.MaxBackupIndex=2
log4j.appender.controllerAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.controllerAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.cleanerAppender=org.apache.log4j.RollingFileAppender
log4j.appender.cleanerAppender.File=\${kafka.logs.dir}/log-cleaner.log
log4j.appender.cleanerAppender.MaxFileSize=20MB
log4j.appender.cleanerAppender.MaxBackupIndex=2
log4j.appender.cleanerAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.cleanerAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN

log4j.logger.org.apache.kafka.controller=INFO, controllerAppender
log4j.additivity.org.apache.kafka.controller=false
log4j.logger.kafka.controller=INFO, controllerAppender
log4j.additivity.kafka.controller=false

log4j.logger.kafka.log.LogCleaner=INFO, cleanerAppender
log4j.additivity.kafka.log.LogCleaner=false

log4j.logger.state.change.logger=INFO, stateChangeAppender
log4j.additivity.state.change.logger=false
`;
  fs.mkdirSync(path.dirname(paths.log4jProps), { recursive: true });
  fs.writeFileSync(paths.log4jProps, text);
}

/**
 * Format the KRaft data dir once (when it has no meta.properties).
 * Returns { formatted: boolean, clusterId }.
 */
export function ensureFormatted(paths = stackPaths()) {
  const meta = readMetaProperties(paths.dataDir);
  if (meta && meta['cluster.id']) {
    if (readTrimmed(paths.clusterIdFile) !== meta['cluster.id']) {
      fs.writeFileSync(paths.clusterIdFile, meta['cluster.id'] + '\n');
    }
    return { formatted: false, clusterId: meta['cluster.id'] };
  }
  let clusterId = readTrimmed(paths.clusterIdFile);
  if (!clusterId) {
    clusterId = randomClusterId();
    fs.writeFileSync(paths.clusterIdFile, clusterId + '\n');
  }
  fs.mkdirSync(paths.dataDir, { recursive: true });
  const args = [
    `-Dlog4j.configuration=${pathToFileURL(paths.log4jProps).href}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    '-cp',
    kafkaClasspath(paths),
    'kafka.tools.StorageTool',
    'format',
    '--ignore-formatted',
    '-t',
    clusterId,
    '-c',
    paths.serverProps,
  ];
  const r = spawnSync(javaCommand(), args, { encoding: 'utf8' });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  fs.appendFileSync(paths.kafkaLog, `\n=== ${new Date().toISOString()} kafka.tools.StorageTool format ===\n${out}`);
  if (r.status !== 0) {
    const err = new Error(`StorageTool format failed (${r.status ?? r.error?.message}): ${out.trim().split('\n').pop()}`);
    err.logFile = paths.kafkaLog;
    throw err;
  }
  return { formatted: true, clusterId };
}

/**
 * Start the broker detached; stdout/stderr appended to paths.kafkaLog; pid written to paths.pidFile.
 * Returns the ChildProcess (already unref'd; its 'exit' event still fires while we run).
 */
export function spawnBroker(paths = stackPaths(), env = process.env) {
  fs.mkdirSync(paths.logs, { recursive: true });
  // keep kafka.log from growing forever: roll it at 20 MB
  try {
    if (fs.statSync(paths.kafkaLog).size > 20 * 1024 * 1024) fs.renameSync(paths.kafkaLog, `${paths.kafkaLog}.1`);
  } catch {
    /* no log yet */
  }
  const heap = (env.KAFKA_HEAP_OPTS || '-Xms512m -Xmx1g').split(/\s+/).filter(Boolean);
  const args = [
    ...heap,
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileURL(paths.log4jProps).href}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    '-cp',
    kafkaClasspath(paths),
    'kafka.Kafka',
    paths.serverProps,
  ];
  const logFd = fs.openSync(paths.kafkaLog, 'a');
  fs.writeSync(logFd, `\n=== ${new Date().toISOString()} starting: ${javaCommand()} ${args.join(' ')}\n`);
  const child = spawn(javaCommand(), args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: paths.home,
  });
  fs.closeSync(logFd);
  child.unref();
  if (child.pid) fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
  return child;
}

// ---------------------------------------------------------------------------
// Kafka: client side

let kafkajsModule;
export function kafkajs() {
  kafkajsModule ??= require('kafkajs');
  return kafkajsModule;
}

function makeKafka(brokers, { clientId = 'stack', connectionTimeout = 1000, requestTimeout = 10000, retries = 2 } = {}) {
  const { Kafka, logLevel } = kafkajs();
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    connectionTimeout,
    requestTimeout,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

/**
 * One metadata round trip. Resolves to { clusterId, controller, brokers: [{nodeId, host, port}] }
 * when a Kafka broker answers on `brokers`, or null (never throws).
 * A quick TCP probe first, so "nothing there" costs ~1 ms instead of kafkajs' retry loop.
 */
export async function kafkaAnswers(brokers, { timeoutMs = 5000 } = {}) {
  const list = parseBrokers(brokers);
  const open = await Promise.all(list.map((b) => {
    const { host, port } = splitHostPort(b);
    return tcpOpen(host, port, 1000);
  }));
  if (!open.some(Boolean)) return null;
  const admin = makeKafka(list, { requestTimeout: timeoutMs, retries: 0 }).admin();
  try {
    await admin.connect();
    const info = await admin.describeCluster();
    if (!info.brokers || info.brokers.length === 0) return null; // broker still fenced / registering
    return info;
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Read the topics declaration: an object { topics: [...] }, an array, or a path to such a JSON file. */
export function loadTopics(topicsJson = DEFAULT_TOPICS_FILE) {
  let decl = topicsJson;
  if (typeof decl === 'string') decl = JSON.parse(fs.readFileSync(path.resolve(REPO_ROOT, decl), 'utf8'));
  const topics = Array.isArray(decl) ? decl : decl?.topics;
  if (!Array.isArray(topics)) throw new Error('topics declaration must be { "topics": [...] } or an array');
  return topics.map((t) => {
    if (!t || typeof t.name !== 'string' || !t.name) throw new Error(`topic without a name: ${JSON.stringify(t)}`);
    const config = Object.fromEntries(Object.entries(t.config || {}).map(([k, v]) => [k, String(v)]));
    return {
      name: t.name,
      partitions: Number(t.partitions ?? 1),
      replicationFactor: Number(t.replicationFactor ?? 1),
      config,
    };
  });
}

/**
 * Create the declared topics that are missing, and bring the config of existing ones back
 * to exactly the declared set (AlterConfigs replaces all topic-level overrides).
 * Partition counts of existing topics are only checked (a warning), never changed:
 * adding partitions would move keys to other partitions.
 *
 * @param {string|string[]} brokers   "host:port,host:port" or an array
 * @param {string|object|object[]} topicsJson  path (relative to the repo root) / parsed schemas/topics.json / its topics array
 * @param {{ timeoutMs?: number, clientId?: string }} [opts]
 * @returns {Promise<{created: string[], updated: string[], unchanged: string[], warnings: string[]}>}
 */
export async function ensureTopics(brokers, topicsJson = DEFAULT_TOPICS_FILE, opts = {}) {
  const { timeoutMs = 30000, clientId = 'stack-topics' } = opts;
  const topics = loadTopics(topicsJson);
  const { ConfigResourceTypes } = kafkajs();
  const admin = makeKafka(brokers, { clientId, requestTimeout: timeoutMs, retries: 5 }).admin();
  const result = { created: [], updated: [], unchanged: [], warnings: [] };
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      // Only the missing ones: with a mix, kafkajs returns false on TOPIC_ALREADY_EXISTS and
      // skips waiting for the leaders of the topics it did create.
      await admin.createTopics({
        waitForLeaders: true,
        timeout: timeoutMs,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
      result.created.push(...missing.map((t) => t.name));
    }

    const present = topics.filter((t) => existing.has(t.name));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      for (const tm of meta.topics) {
        const decl = present.find((t) => t.name === tm.name);
        if (decl && tm.partitions.length !== decl.partitions) {
          result.warnings.push(
            `${tm.name} has ${tm.partitions.length} partitions, schemas/topics.json declares ${decl.partitions} (left as is)`,
          );
        }
        const rf = tm.partitions[0]?.replicas?.length;
        if (decl && rf !== undefined && rf !== decl.replicationFactor) {
          result.warnings.push(
            `${tm.name} has replication factor ${rf}, schemas/topics.json declares ${decl.replicationFactor} (left as is)`,
          );
        }
      }

      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
      });
      const toAlter = [];
      for (const t of present) {
        const res = described.resources.find((r) => r.resourceName === t.name);
        const entries = new Map((res?.configEntries || []).map((e) => [e.configName, e]));
        const drift = [];
        for (const [k, v] of Object.entries(t.config)) {
          const cur = entries.get(k);
          if (!cur) drift.push(`${k}: unknown to the broker`);
          else if (String(cur.configValue) !== v) drift.push(`${k}: ${cur.configValue} -> ${v}`);
        }
        // topic-level overrides that are not declared (configSource 1 = DYNAMIC_TOPIC_CONFIG)
        for (const e of entries.values()) {
          if (e.configSource === 1 && !(e.configName in t.config)) drift.push(`${e.configName}: ${e.configValue} -> (default)`);
        }
        if (drift.length > 0) toAlter.push({ t, drift });
        else result.unchanged.push(t.name);
      }
      if (toAlter.length > 0) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: toAlter.map(({ t }) => ({
            type: ConfigResourceTypes.TOPIC,
            name: t.name,
            configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
          })),
        });
        result.updated.push(...toAlter.map(({ t, drift }) => `${t.name} (${drift.join(', ')})`));
      }
    }
    return result;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * On a fresh broker the first consumer group join and the first idempotent producer hit
 * "The group coordinator is not available" / "The coordinator is loading" while Kafka creates
 * __consumer_offsets (50 partitions) and loads its coordinators; kafkajs retries, but logs
 * ERROR lines and the first test is slow. Do that once here: a FindCoordinator for a group
 * (describeGroups) and an idempotent producer's InitProducerId (connect, no message sent).
 * Cheap (~10 ms) when already warm.
 * @returns {Promise<boolean>} true when __consumer_offsets had to be created
 */
export async function warmUpCoordinators(brokers, { timeoutMs = 60000 } = {}) {
  const kafka = makeKafka(brokers, { clientId: 'stack-warmup', requestTimeout: 10000, retries: 10 });
  const admin = kafka.admin();
  await admin.connect();
  let created = false;
  try {
    created = !(await admin.listTopics()).includes('__consumer_offsets');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await admin.describeGroups(['stack-warmup']);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`group coordinator not available after ${timeoutMs / 1000}s: ${e.message}`);
        await sleep(250);
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => {});
  }
  return created;
}

// ---------------------------------------------------------------------------
// Postgres

let pgModule;
function pg() {
  pgModule ??= require('pg');
  return pgModule;
}

/**
 * The URL of the schema's owner, which creates the database and runs the migrations (the
 * services connect as metering_app, which may do neither): DATABASE_OWNER_URL when set; else,
 * when DATABASE_URL is set, DATABASE_URL itself if it names another role than metering_app (a
 * set-up with one URL for everything) or its server and database as user postgres; else the
 * default. libs/service/src/config.ts reads the environment the same way.
 */
export function ownerDatabaseUrl(env = process.env) {
  if (env.DATABASE_OWNER_URL || !env.DATABASE_URL) return env.DATABASE_OWNER_URL || DEFAULT_DATABASE_OWNER_URL;
  const u = new URL(env.DATABASE_URL);
  if (decodeURIComponent(u.username) !== SERVICE_ROLE) return env.DATABASE_URL;
  u.username = 'postgres';
  u.password = '';
  return u.toString();
}

/** The owner's URL as the services' role (as asServiceRole of libs/db/src/roles.ts does). */
export function serviceDatabaseUrl(ownerUrl) {
  const u = new URL(ownerUrl);
  u.username = SERVICE_ROLE;
  u.password = '';
  return u.toString();
}

/** Same server, other database (default: the `postgres` maintenance db). */
export function withDatabase(databaseUrl, database = 'postgres') {
  const u = new URL(databaseUrl);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseName(databaseUrl) {
  const u = new URL(databaseUrl);
  return decodeURIComponent(u.pathname.replace(/^\//, ''));
}

/** Redact the password for printing. */
export function redactUrl(databaseUrl) {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return databaseUrl;
  }
}

/** Resolves to null when the server answers (connect + SELECT 1), else the Error. */
export async function pgProbe(databaseUrl, timeoutMs = 3000) {
  const client = new (pg().Client)({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e;
  } finally {
    await client.end().catch(() => {});
  }
}

function isLocalHost(databaseUrl) {
  const u = new URL(databaseUrl);
  const host = u.hostname || u.searchParams.get('host') || '';
  return ['', '127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || host.startsWith('/');
}

/** The Debian/Ubuntu cluster (version, name) serving `port`, via pg_lsclusters or /etc/postgresql. */
function localCluster(port) {
  const r = spawnSync('pg_lsclusters', ['-h'], { encoding: 'utf8' });
  if (r.status === 0) {
    const rows = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c.length >= 4);
    const row = rows.find((c) => Number(c[2]) === port) || rows.find((c) => c[1] === 'main');
    if (row) return { version: row[0], cluster: row[1] };
  }
  try {
    const versions = fs
      .readdirSync('/etc/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return { version: versions[0], cluster: 'main' };
  } catch {
    /* not Debian-style */
  }
  return null;
}

/**
 * Make sure the Postgres server of databaseUrl answers; if it is local, down, and pg_ctlcluster
 * exists, start it and leave a marker so `stack:stop` stops it again.
 * Returns { started: boolean, cluster?: string }. Throws when it stays unreachable.
 */
export async function ensurePostgresServer(databaseUrl, paths = stackPaths(), { waitMs = 30000 } = {}) {
  const maint = withDatabase(databaseUrl, 'postgres');
  const err = await pgProbe(maint);
  if (!err) return { started: false };
  const unreachable = ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', '57P03'].includes(err.code) || /timeout/i.test(err.message);
  if (!unreachable || !isLocalHost(databaseUrl) || !which('pg_ctlcluster')) {
    throw new Error(`Postgres at ${redactUrl(maint)} does not answer: ${err.message}`);
  }
  const port = Number(new URL(databaseUrl).port || 5432);
  const c = localCluster(port);
  if (!c) throw new Error(`Postgres does not answer (${err.message}) and no local cluster was found to start`);
  const r = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', c.version, c.cluster, 'start'], { encoding: 'utf8' });
  // exit 2 = "already running" (e.g. still starting up): fine, we wait below
  if (r.status !== 0 && r.status !== 2) {
    throw new Error(
      `pg_ctlcluster ${c.version} ${c.cluster} start failed (${r.status ?? r.error?.message}): ${(r.stderr || r.stdout || '').trim()}`,
    );
  }
  if (r.status === 0) {
    fs.mkdirSync(paths.home, { recursive: true });
    fs.writeFileSync(paths.pgMarker, `${c.version} ${c.cluster}\n`);
  }
  const deadline = Date.now() + waitMs;
  let last;
  while (Date.now() < deadline) {
    last = await pgProbe(maint, 2000);
    if (!last) return { started: r.status === 0, cluster: `${c.version}/${c.cluster}` };
    await sleep(500);
  }
  throw new Error(`started Postgres ${c.version}/${c.cluster} but it does not answer after ${waitMs / 1000}s: ${last?.message}`);
}

/** Stop the local cluster named in the marker file. Returns the cluster stopped, or null. */
export function stopPostgresIfStartedByStack(paths = stackPaths()) {
  const marker = readTrimmed(paths.pgMarker);
  if (!marker) return null;
  const [version, cluster = 'main'] = marker.split(/\s+/);
  const r = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster, 'stop'], { encoding: 'utf8' });
  // exit 2 = not running: the marker is stale, drop it all the same
  if (r.status !== 0 && r.status !== 2) {
    throw new Error(`pg_ctlcluster ${version} ${cluster} stop failed: ${(r.stderr || r.stdout || '').trim()}`);
  }
  fs.rmSync(paths.pgMarker, { force: true });
  return `${version}/${cluster}`;
}

/**
 * Create the database named in databaseUrl if it does not exist (connects to the `postgres`
 * maintenance db of the same server). Safe to call concurrently.
 * @returns {Promise<{database: string, created: boolean}>}
 */
export async function ensureDatabase(databaseUrl = ownerDatabaseUrl()) {
  const database = databaseName(databaseUrl);
  if (!database) throw new Error(`no database name in ${redactUrl(databaseUrl)}`);
  const client = new (pg().Client)({ connectionString: withDatabase(databaseUrl, 'postgres'), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount > 0) return { database, created: false };
    try {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      return { database, created: true };
    } catch (e) {
      // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's unique index
      if (e.code === '42P04' || e.code === '23505') return { database, created: false };
      throw e;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Run `node-pg-migrate up` on `dir` (SQL files with "-- Up Migration" / "-- Down Migration").
 * Output goes to opts.logFile (appended) when given. Resolves to
 * { applied: string[] (migration names run now), output }; rejects with an Error carrying
 * .output and .logFile when node-pg-migrate fails.
 *
 * @param {string} databaseUrl
 * @param {string} [dir]  relative to the repo root, or absolute
 * @param {{ logFile?: string, migrationsTable?: string }} [opts]
 */
export function migrate(databaseUrl = ownerDatabaseUrl(), dir = DEFAULT_MIGRATIONS_DIR, opts = {}) {
  const { logFile, migrationsTable = MIGRATIONS_TABLE } = opts;
  const absDir = path.resolve(REPO_ROOT, dir);
  const bin = path.join(REPO_ROOT, 'node_modules', 'node-pg-migrate', 'bin', 'node-pg-migrate.js');
  return new Promise((resolve, reject) => {
    if (!fs.existsSync(absDir) || !fs.statSync(absDir).isDirectory()) {
      reject(Object.assign(new Error(`migrations dir ${absDir} does not exist`), { output: '', logFile }));
      return;
    }
    if (!fs.existsSync(bin)) {
      reject(Object.assign(new Error(`${bin} not found (npm install?)`), { output: '', logFile }));
      return;
    }
    const args = [
      bin,
      'up',
      '--migrations-dir',
      absDir,
      '--migrations-table',
      migrationsTable,
      '--database-url-var',
      'DATABASE_URL',
      '--check-order',
      '--single-transaction',
      '--lock',
      '--no-ts-node',
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('error', (e) => reject(Object.assign(e, { output: Buffer.concat(chunks).toString(), logFile })));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString();
      if (logFile) {
        fs.mkdirSync(path.dirname(logFile), { recursive: true });
        fs.appendFileSync(
          logFile,
          `\n=== ${new Date().toISOString()} node-pg-migrate up ${absDir} (exit ${code ?? signal})\n${output}`,
        );
      }
      if (code !== 0) {
        reject(Object.assign(new Error(`node-pg-migrate exited with ${code ?? signal}`), { output, logFile }));
        return;
      }
      const applied = [...output.matchAll(/^### MIGRATION (.+?) \(UP\) ###$/gm)].map((m) => m[1]);
      resolve({ applied, output });
    });
  });
}
