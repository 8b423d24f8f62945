import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  DEFAULT_DATABASE_OWNER_URL,
  DEFAULT_MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
  REPO_ROOT,
  SERVICE_ROLE,
  readTrimmed,
  sleep,
  stackPaths,
  which,
} from './base.mjs';

const require = createRequire(import.meta.url);

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
  const unreachable =
    ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', '57P03'].includes(err.code) || /timeout/i.test(err.message);
  if (!unreachable || !isLocalHost(databaseUrl) || !which('pg_ctlcluster')) {
    throw new Error(`Postgres at ${redactUrl(maint)} does not answer: ${err.message}`);
  }
  const port = Number(new URL(databaseUrl).port || 5432);
  const c = localCluster(port);
  if (!c) throw new Error(`Postgres does not answer (${err.message}) and no local cluster was found to start`);
  const r = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', c.version, c.cluster, 'start'], {
    encoding: 'utf8',
  });
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
  throw new Error(
    `started Postgres ${c.version}/${c.cluster} but it does not answer after ${waitMs / 1000}s: ${last?.message}`,
  );
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
  const client = new (pg().Client)({
    connectionString: withDatabase(databaseUrl, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
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
