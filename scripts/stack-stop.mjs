#!/usr/bin/env node
// `npm run stack:stop`: stop what `npm run stack` started, leave everything else alone.
//
//   node scripts/stack-stop.mjs [--wipe]
//
// - Kafka: the broker in $METERING_HOME/kafka.pid (and any orphan broker running on the stack's
//   rendered kafka-server.properties) gets SIGTERM, up to 30 s to shut down cleanly, then SIGKILL.
//   A broker the stack did not start (docker compose, another install) is left running.
// - Postgres: stopped only when $METERING_HOME/postgres.started-by-stack says the stack started it.
// - --wipe: afterwards delete the Kafka data dir (and cluster id), so the next `stack` formats a
//   fresh, empty broker. Postgres data is never touched.
//
// Idempotent: with nothing running it says so and exits 0.

import fs from 'node:fs';
import { clusterLayout, clusterPids, recordedClusterSize } from './stack-lib/cluster.mjs';
import {
  DEFAULT_KAFKA_BROKERS,
  acquireLock,
  fmtSecs,
  kafkaAnswers,
  ownerDatabaseUrl,
  parseBrokers,
  pgProbe,
  redactUrl,
  stackBrokerPids,
  stackPaths,
  stopPostgresIfStartedByStack,
  terminate,
  withDatabase,
} from './stack-lib.mjs';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: node scripts/stack-stop.mjs [--wipe]   (--wipe deletes the Kafka data dir after stopping)');
  process.exit(0);
}
for (const a of argv) {
  if (a !== '--wipe') {
    console.error(`stack-stop: unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
const WIPE = argv.includes('--wipe');
const env = process.env;
const BROKERS = parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS);
// The probe connects to the maintenance database, which the services' role may not.
const OWNER_URL = ownerDatabaseUrl(env);
const STOP_TIMEOUT_MS = Number(env.KAFKA_STOP_TIMEOUT_MS || 30000);
const paths = stackPaths(env);
const t0 = Date.now();
let failed = false;

if (!fs.existsSync(paths.home)) {
  console.log(`stack-stop: nothing to stop (${paths.home} does not exist)`);
  process.exit(0);
}
const release = await acquireLock(paths.lockFile, {
  timeoutMs: 60000,
  onWait: (pid) => console.log(`stack-stop: waiting for a running stack command (pid ${pid})`),
});

// ---------------------------------------------------------------------------
// Kafka

const pids = stackBrokerPids(paths);
if (pids.length === 0) {
  console.log('kafka: no broker started by the stack is running');
} else {
  for (const pid of pids) {
    const s = Date.now();
    const how = await terminate(pid, STOP_TIMEOUT_MS);
    if (how === 'killed') {
      console.log(
        `kafka: broker pid ${pid} did not stop within ${STOP_TIMEOUT_MS / 1000}s, killed (SIGKILL) ${fmtSecs(Date.now() - s)}`,
      );
    } else {
      console.log(`kafka: stopped broker pid ${pid} ${fmtSecs(Date.now() - s)}`);
    }
  }
}
fs.rmSync(paths.pidFile, { force: true });

// the cluster of `stack --brokers N`: every node, stopped at once (one by one would move every
// leader to the last node first)
const clusterSize = recordedClusterSize(env);
const cluster = clusterSize ? clusterLayout(clusterSize, env) : null;
if (cluster) {
  const nodes = clusterPids(cluster);
  const s = Date.now();
  const how = await Promise.all(nodes.map((n) => terminate(n.pid, STOP_TIMEOUT_MS)));
  if (nodes.length > 0)
    console.log(
      `kafka: stopped the cluster's ${nodes.map((n, i) => `node ${n.id} (pid ${n.pid}${how[i] === 'killed' ? ', SIGKILL' : ''})`).join(', ')} ${fmtSecs(Date.now() - s)}`,
    );
  for (const n of cluster.nodes) fs.rmSync(n.paths.pidFile, { force: true });
}

const still = await kafkaAnswers(cluster ? cluster.brokers : BROKERS, { timeoutMs: 3000 });
if (still) console.log(`kafka: left running: a broker not started by the stack answers on ${BROKERS.join(',')}`);

// ---------------------------------------------------------------------------
// Postgres

try {
  const s = Date.now();
  const stopped = stopPostgresIfStartedByStack(paths);
  if (stopped) {
    console.log(`postgres: stopped cluster ${stopped} (the stack had started it) ${fmtSecs(Date.now() - s)}`);
  } else {
    const err = await pgProbe(withDatabase(OWNER_URL, 'postgres'), 2000);
    console.log(
      err
        ? 'postgres: not running'
        : `postgres: left running (not started by the stack) at ${redactUrl(withDatabase(OWNER_URL, 'postgres'))}`,
    );
  }
} catch (e) {
  console.error(`postgres: FAILED — ${e.message}`);
  failed = true;
}

// ---------------------------------------------------------------------------
// --wipe

if (WIPE) {
  if (cluster && clusterPids(cluster).length > 0) {
    console.error(`kafka: FAILED — a node of the cluster still runs; not wiping ${cluster.dir}`);
    failed = true;
  } else if (cluster) {
    fs.rmSync(cluster.dir, { recursive: true, force: true });
    console.log(`kafka: wiped ${cluster.dir}`);
  }
  if (stackBrokerPids(paths).length > 0) {
    console.error(`kafka: FAILED — a broker still runs on ${paths.dataDir}; not wiping it`);
    failed = true;
  } else if (fs.existsSync(paths.dataDir)) {
    fs.rmSync(paths.dataDir, { recursive: true, force: true });
    fs.rmSync(paths.clusterIdFile, { force: true });
    console.log(`kafka: wiped ${paths.dataDir} (the next stack run formats a fresh broker)`);
  } else {
    console.log(`kafka: nothing to wipe (${paths.dataDir} does not exist)`);
  }
}

release();
console.log(`stack-stop: done ${fmtSecs(Date.now() - t0)}`);
process.exit(failed ? 1 : 0);
