import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const POM_FILE = path.join(REPO_ROOT, 'stack', 'pom.xml');
export const SERVER_PROPERTIES_TEMPLATE = path.join(REPO_ROOT, 'stack', 'server.properties');

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_DATABASE_OWNER_URL = 'postgres://postgres@127.0.0.1:5432/metering';
export const SERVICE_ROLE = 'metering_app';
export const DEFAULT_TOPICS_FILE = path.join(REPO_ROOT, 'schemas', 'topics.json');
export const DEFAULT_MIGRATIONS_DIR = 'migrations';
export const MIGRATIONS_TABLE = 'pgmigrations';

/**
 * Kafka version: KAFKA_VERSION when set (say 3.9.1, to run against a 3.9 broker), else
 * stack/pom.xml's kafka.version (the single place to change the default).
 */
export function kafkaVersion(env = process.env) {
  if (env.KAFKA_VERSION) {
    if (!/^\d+\.\d+\.\d+$/.test(env.KAFKA_VERSION))
      throw new Error(`KAFKA_VERSION=${env.KAFKA_VERSION}: not a version like 4.4.0`);
    return env.KAFKA_VERSION;
  }
  const pom = fs.readFileSync(POM_FILE, 'utf8');
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m) throw new Error(`no <kafka.version> in ${POM_FILE}`);
  return m[1];
}

/** Every file and directory the stack uses, all under METERING_HOME. */
export function stackPaths(env = process.env) {
  const home = path.resolve(env.METERING_HOME || path.join(os.homedir(), '.cache', 'usage-metering'));
  const version = kafkaVersion(env);
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
