#!/usr/bin/env node
// `npm run stack`: bring up the local development stack and return when it is ready.
//
//   1. Kafka jars   (Maven download into $METERING_HOME/kafka-<version>/libs, first run only)
//   2. Kafka broker (single-node KRaft on KAFKA_BROKERS, reused when one already answers)
//   3. Topics       (schemas/topics.json: created / config kept as declared)
//   4. Postgres     (server up, database created, migrations applied)
//
// Idempotent: a second run with everything up takes a few seconds.
//
//   node scripts/stack.mjs [--quiet] [--no-migrate] [--brokers N] [--secure]
//
// Environment: see scripts/stack-lib.mjs (METERING_HOME, KAFKA_BROKERS, DATABASE_OWNER_URL,
// DATABASE_URL, MIGRATIONS_DIR, TOPICS_FILE, KAFKA_HEAP_OPTS, KAFKA_START_TIMEOUT_MS, ...).
// The database is created and migrated as its owner (DATABASE_OWNER_URL); the services
// connect as metering_app, which the migrations create (README, "Database roles").

import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_TOPICS_FILE,
  REPO_ROOT,
  acquireLock,
  brokerPidFromFile,
  checkJava,
  ensureDatabase,
  ensureFormatted,
  ensureKafkaJars,
  ensurePostgresServer,
  ensureTopics,
  fmtSecs,
  kafkaAnswers,
  migrate,
  ownerDatabaseUrl,
  parseBrokers,
  portFree,
  redactUrl,
  renderLog4jProperties,
  renderServerProperties,
  serviceDatabaseUrl,
  sleep,
  spawnBroker,
  splitHostPort,
  stackBrokerPids,
  stackPaths,
  tailFile,
  tcpOpen,
  warmUpCoordinators,
  terminate,
} from './stack-lib.mjs';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`usage: node scripts/stack.mjs [--quiet] [--no-migrate] [--brokers N] [--secure]

Starts (or reuses) Kafka on $KAFKA_BROKERS and Postgres on $DATABASE_OWNER_URL, creates the topics of
schemas/topics.json and applies the migrations (as that owner). State, jars and logs live in $METERING_HOME
(default ~/.cache/usage-metering). Stop with: node scripts/stack-stop.mjs [--wipe]

--secure: instead, a broker with only a SASL_SSL listener (127.0.0.1:$KAFKA_SECURE_PORT, 9392), its own
CA, and a SCRAM-SHA-512 user; prints the variables to use (scripts/stack-lib/secure.mjs).

--brokers N: a KRaft cluster of N brokers instead (ports $KAFKA_BROKERS's + 0, 2, 4..., controllers the next
ones), the topics at min(N, 3) replicas and min.insync.replicas 2 (scripts/stack-lib/cluster.mjs).`);
  process.exit(0);
}
const brokersAt = argv.indexOf('--brokers');
const BROKER_COUNT = brokersAt >= 0 ? Number(argv[brokersAt + 1]) : null;
if (brokersAt >= 0 && !(Number.isInteger(BROKER_COUNT) && BROKER_COUNT >= 1 && BROKER_COUNT <= 9)) {
  console.error(`stack: --brokers takes a count from 1 to 9, not ${argv[brokersAt + 1] ?? 'nothing'}`);
  process.exit(2);
}
for (const [i, a] of argv.entries()) {
  if (brokersAt >= 0 && i === brokersAt + 1) continue;
  if (!['--quiet', '-q', '--no-migrate', '--secure', '--brokers'].includes(a)) {
    console.error(`stack: unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
const QUIET = argv.includes('--quiet') || argv.includes('-q');
const MIGRATE = !argv.includes('--no-migrate');

const env = process.env;
const BROKERS = parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS);
const OWNER_URL = ownerDatabaseUrl(env);
const MIGRATIONS_DIR = path.resolve(REPO_ROOT, env.MIGRATIONS_DIR || DEFAULT_MIGRATIONS_DIR);
const TOPICS_FILE = path.resolve(REPO_ROOT, env.TOPICS_FILE || DEFAULT_TOPICS_FILE);
const START_TIMEOUT_MS = Number(env.KAFKA_START_TIMEOUT_MS || 90000);

const paths = stackPaths(env);
const t0 = Date.now();

if (argv.includes('--secure')) {
  const { runSecureStack } = await import('./stack-lib/secure.mjs');
  process.exit(await runSecureStack({ env, topicsFile: TOPICS_FILE, quiet: argv.includes('--quiet') }));
}

// A cluster: asked for, or (no --brokers) the one this METERING_HOME runs already.
const { clusterLayout, clusterPids, clusterTopics, ensureCluster, recordedClusterSize } =
  await import('./stack-lib/cluster.mjs');
const recorded = recordedClusterSize(env);
const CLUSTER_SIZE =
  BROKER_COUNT !== null
    ? BROKER_COUNT > 1
      ? BROKER_COUNT
      : 0
    : recorded > 1 && clusterPids(clusterLayout(recorded, env)).length > 0
      ? recorded
      : 0;
const TOPICS = CLUSTER_SIZE ? clusterTopics(TOPICS_FILE, CLUSTER_SIZE) : TOPICS_FILE;
let brokers = BROKERS;
if (BROKER_COUNT === 1 && recorded > 1 && clusterPids(clusterLayout(recorded, env)).length > 0) {
  console.error(`kafka: FAILED — a cluster of ${recorded} brokers runs here; npm run stack:stop first`);
  process.exit(1);
}

const say = (line) => {
  if (!QUIET) console.log(line);
};

/**
 * Print "<step>: FAILED — <msg>", the log path and the last lines of the log (or of `output`,
 * the failing command's own output when there is one), then exit 1.
 */
function fail(step, msg, logFile, output, lines = 30) {
  console.error(`${step}: FAILED — ${msg}`);
  if (logFile) console.error(`${step}: see ${logFile}`);
  const tail =
    output != null
      ? output.replace(/\s+$/, '').split('\n').slice(-lines).join('\n')
      : logFile
        ? tailFile(logFile, lines)
        : '';
  if (tail) console.error(`----- last ${lines} lines of ${output != null ? 'output' : logFile} -----\n${tail}\n-----`);
  process.exit(1);
}

/** Run one step and print "<name>: <result> <secs>". The step returns the result text. */
async function step(name, fn) {
  const s = Date.now();
  try {
    const text = await fn();
    say(`${name}: ${text} ${fmtSecs(Date.now() - s)}`);
  } catch (e) {
    fail(name, e.message, e.logFile);
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`stack: interrupted (${sig}); a broker that was starting keeps running, re-run to wait for it`);
    process.exit(130);
  });
}

fs.mkdirSync(paths.logs, { recursive: true });
await acquireLock(paths.lockFile, {
  onWait: (pid) => say(`stack: waiting for another stack run (pid ${pid}) to finish`),
});

// ---------------------------------------------------------------------------
// 1 + 2. Kafka jars and broker

let kafkaState = '';
if (CLUSTER_SIZE) {
  const s = Date.now();
  try {
    const r = await ensureCluster(CLUSTER_SIZE, { env, timeoutMs: START_TIMEOUT_MS, say });
    brokers = r.brokers;
    kafkaState = `a cluster of ${CLUSTER_SIZE}, started by the stack`;
    const how = r.started.length
      ? `started node${r.started.length > 1 ? 's' : ''} ${r.started.join(', ')}${r.running.length ? `, ${r.running.join(', ')} already running` : ''}`
      : 'already running';
    say(`kafka: cluster of ${CLUSTER_SIZE} up (${how}) ${fmtSecs(Date.now() - s)} — logs ${r.layout.dir}/node-*/logs`);
  } catch (e) {
    fail('kafka', e.message, e.logFile);
  }
} else {
  const s = Date.now();
  const info = await kafkaAnswers(BROKERS);
  // the pid file's broker, or (pid file lost) a kafka.Kafka running on our rendered properties
  let ownPid = brokerPidFromFile(paths) || (info ? stackBrokerPids(paths)[0] : null) || null;

  if (info) {
    say(`kafka-jars: skipped (broker already running) 0.0s`);
    say(
      `kafka: up (already running${ownPid ? `, pid ${ownPid}` : ', not started by the stack'}) ${fmtSecs(Date.now() - s)}`,
    );
    kafkaState = ownPid ? `started by the stack, pid ${ownPid}` : 'external';
  } else {
    await step('kafka-jars', async () => {
      const r = ensureKafkaJars(paths);
      return r.downloaded ? `downloaded ${r.jars} jars to ${paths.libs}` : `ok (${r.jars} jars cached)`;
    });

    const s2 = Date.now();
    let child = null;
    let how;
    if (ownPid) {
      how = `was already starting, pid ${ownPid}`;
    } else {
      const { host, port } = splitHostPort(BROKERS[0]);
      if (await tcpOpen(host, port, 1000)) {
        // Someone listens but does not answer Kafka requests (yet). Give it a moment, it may be
        // a broker started outside the stack (docker compose) that is still booting.
        let again = null;
        for (let i = 0; i < 30 && !again; i++) {
          await sleep(500);
          again = await kafkaAnswers(BROKERS);
        }
        if (!again) fail('kafka', `${host}:${port} is in use by something that does not answer Kafka requests`);
        say(`kafka: up (already running, not started by the stack) ${fmtSecs(Date.now() - s2)}`);
        kafkaState = 'external';
      } else {
        try {
          checkJava();
          renderLog4jProperties(paths);
          const { controllerPort } = renderServerProperties(paths, env);
          if (!(await portFree(host, controllerPort))) {
            fail('kafka', `controller port ${host}:${controllerPort} is in use (set KAFKA_CONTROLLER_PORT)`);
          }
          const f = ensureFormatted(paths);
          if (f.formatted)
            say(`kafka: formatted ${paths.dataDir} (cluster id ${f.clusterId}) ${fmtSecs(Date.now() - s2)}`);
        } catch (e) {
          fail('kafka', e.message, e.logFile);
        }
        child = spawnBroker(paths, env);
        if (!child.pid) fail('kafka', `could not start ${child.spawnfile}`, paths.kafkaLog);
        ownPid = child.pid;
        how = `started, pid ${ownPid}`;
      }
    }

    if (!kafkaState) {
      let exited = null;
      child?.once('exit', (code, signal) => {
        exited = code ?? signal;
      });
      child?.once('error', (e) => {
        exited = e.message;
      });
      const deadline = Date.now() + START_TIMEOUT_MS;
      let up = null;
      while (!up) {
        if (exited !== null || (!child && !brokerPidFromFile(paths))) {
          fs.rmSync(paths.pidFile, { force: true });
          fail(
            'kafka',
            `broker exited (${exited ?? 'gone'}) before it was ready (broker log: ${paths.serverLog})`,
            paths.kafkaLog,
          );
        }
        if (Date.now() > deadline) {
          await terminate(ownPid, 10000);
          fs.rmSync(paths.pidFile, { force: true });
          fail(
            'kafka',
            `not ready after ${START_TIMEOUT_MS / 1000}s, stopped it (stdout/stderr: ${paths.kafkaLog})`,
            paths.serverLog,
          );
        }
        await sleep(500);
        up = await kafkaAnswers(BROKERS);
      }
      say(`kafka: up (${how}) ${fmtSecs(Date.now() - s2)} — log ${paths.kafkaLog}`);
      kafkaState = `started by the stack, pid ${ownPid}`;
    }
  }
}

// ---------------------------------------------------------------------------
// 3. Topics

await step('topics', async () => {
  const r = await ensureTopics(brokers, TOPICS);
  for (const w of r.warnings) console.error(`topics: WARNING ${w}`);
  const parts = [];
  if (r.created.length) parts.push(`created ${r.created.join(', ')}`);
  if (r.updated.length) parts.push(`config reset: ${r.updated.join('; ')}`);
  if (r.unchanged.length) parts.push(`${r.unchanged.length} up to date`);
  return parts.join('; ') || 'nothing declared';
});

await step('kafka-coordinators', async () => {
  const created = await warmUpCoordinators(brokers);
  return created ? 'ready (created __consumer_offsets)' : 'ready';
});

// ---------------------------------------------------------------------------
// 4. Postgres

let pgState = '';
await step('postgres', async () => {
  const r = await ensurePostgresServer(OWNER_URL, paths);
  const ours = r.started || fs.existsSync(paths.pgMarker);
  pgState = r.started
    ? `started by the stack (${r.cluster})`
    : ours
      ? 'started by an earlier stack run'
      : 'already running';
  return r.started
    ? `up (started cluster ${r.cluster})`
    : `up (already running${ours ? ', started by the stack' : ''})`;
});

await step('database', async () => {
  const r = await ensureDatabase(OWNER_URL);
  return r.created ? `created ${r.database}` : `${r.database} exists`;
});

if (MIGRATE) {
  const s = Date.now();
  try {
    const r = await migrate(OWNER_URL, MIGRATIONS_DIR, { logFile: paths.migrateLog });
    const rel = path.relative(REPO_ROOT, MIGRATIONS_DIR) || '.';
    say(
      `migrations: ${r.applied.length ? `applied ${r.applied.length} (${r.applied.join(', ')})` : 'up to date'} [${rel.startsWith('..') ? MIGRATIONS_DIR : rel}] ${fmtSecs(Date.now() - s)}`,
    );
  } catch (e) {
    // no output = it failed before node-pg-migrate ran (missing dir...): the log has nothing new
    fail('migrations', e.message, e.output ? e.logFile : null, e.output || null);
  }
} else {
  say('migrations: skipped (--no-migrate)');
}

// ---------------------------------------------------------------------------
// summary

const total = fmtSecs(Date.now() - t0);
if (QUIET) {
  console.log(`stack ready: kafka ${brokers.join(',')}, ${redactUrl(OWNER_URL)} (${total})`);
} else {
  console.log(`
stack ready in ${total}
  KAFKA_BROKERS=${brokers.join(',')}   (${kafkaState})
  DATABASE_OWNER_URL=${redactUrl(OWNER_URL)}   (postgres ${pgState}; migrations, rebuild, verify)
  DATABASE_URL=${redactUrl(env.DATABASE_URL || serviceDatabaseUrl(OWNER_URL))}   (the services, as metering_app)
  logs:  ${CLUSTER_SIZE ? `${path.join(paths.home, 'cluster')}/node-<n>/logs (kafka.log, server.log)` : `${paths.kafkaLog} (broker stdout/stderr)`}
         ${CLUSTER_SIZE ? '(every node)' : `${paths.serverLog} (broker log)`}
         ${paths.migrateLog}
  stop:  npm run stack:stop   (--wipe also deletes ${paths.dataDir})`);
}
process.exit(0);
