// `npm run stack -- --brokers N`: a KRaft cluster of N nodes on one machine, each broker and
// controller, for trying the pipeline against replicated topics and losing brokers.
//
// Node i (1..N) listens on the first KAFKA_BROKERS port + 2(i-1) (9092, 9094, 9096) and runs its
// controller on KAFKA_CONTROLLER_PORT (default: that port + 1) + 2(i-1) (9093, 9095, 9097). Its
// state (data, rendered properties, pid, logs) lives in <METERING_HOME>/cluster/node-i; the jars
// are the single broker's. The settings are stack/server.properties with stack/cluster.properties
// on top (node id, voters, replication of the internal topics). The declared topics get min(N, 3)
// replicas and min.insync.replicas 2 (from three replicas on), so a 202 survives one lost broker.

import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_KAFKA_BROKERS,
  REPO_ROOT,
  SERVER_PROPERTIES_TEMPLATE,
  parseBrokers,
  splitHostPort,
  stackPaths,
  tcpOpen,
} from './base.mjs';
import {
  checkJava,
  ensureFormatted,
  ensureKafkaJars,
  fillTemplate,
  randomClusterId,
  renderLog4jProperties,
  spawnBroker,
  writeGeneratedProperties,
} from './kafka-install.mjs';
import { kafkaAnswers, loadTopics } from './kafka-topics.mjs';
import { brokerPidFromFile, stackBrokerPids } from './process.mjs';

export const CLUSTER_PROPERTIES_TEMPLATE = path.join(REPO_ROOT, 'stack', 'cluster.properties');
/** Per node, unless KAFKA_HEAP_OPTS says otherwise: three JVMs share two cores with Postgres. */
const CLUSTER_HEAP = '-Xms256m -Xmx512m';

/** Replicas of the declared topics and of the internal ones on a cluster of `size` brokers, and their min ISR. */
export function clusterReplication(size) {
  const replicas = Math.min(size, 3);
  return { replicas, minIsr: replicas >= 3 ? 2 : 1 };
}

/** The cluster's directory, and each node's ports and paths (the single broker's layout, one per node). */
export function clusterLayout(size, env = process.env) {
  const main = stackPaths(env);
  const dir = path.join(main.home, 'cluster');
  const first = splitHostPort(parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS)[0]);
  const controllerBase = Number(env.KAFKA_CONTROLLER_PORT || first.port + 1);
  const nodes = Array.from({ length: size }, (_, i) => {
    const paths = stackPaths({ ...env, METERING_HOME: path.join(dir, `node-${i + 1}`) });
    return {
      id: i + 1,
      host: first.host,
      port: first.port + 2 * i,
      controllerPort: controllerBase + 2 * i,
      paths: { ...paths, libs: main.libs, libsMarker: main.libsMarker },
    };
  });
  return {
    dir,
    main,
    nodes,
    brokers: nodes.map((n) => `${n.host}:${n.port}`),
    sizeFile: path.join(dir, 'size'),
    clusterIdFile: path.join(dir, 'cluster-id'),
  };
}

/** The size of the cluster the stack last started in this METERING_HOME (0: none). */
export function recordedClusterSize(env = process.env) {
  const file = path.join(stackPaths(env).home, 'cluster', 'size');
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) || 0 : 0;
}

/** Pids of the cluster's brokers that run, by node id. */
export function clusterPids(layout) {
  return layout.nodes.flatMap((n) => stackBrokerPids(n.paths).map((pid) => ({ id: n.id, pid })));
}

/** schemas/topics.json as the cluster holds it: min(N, 3) replicas, and min.insync.replicas to match. */
export function clusterTopics(topicsFile, size) {
  const { replicas, minIsr } = clusterReplication(size);
  return loadTopics(topicsFile).map((t) => ({
    ...t,
    replicationFactor: replicas,
    config: { ...t.config, 'min.insync.replicas': String(minIsr) },
  }));
}

function renderNodeProperties(layout, node) {
  const { replicas, minIsr } = clusterReplication(layout.nodes.length);
  const base = fillTemplate(SERVER_PROPERTIES_TEMPLATE, {
    KAFKA_HOST: node.host,
    KAFKA_PORT: String(node.port),
    CONTROLLER_PORT: String(node.controllerPort),
    LOG_DIRS: node.paths.dataDir,
  });
  const overrides = fillTemplate(CLUSTER_PROPERTIES_TEMPLATE, {
    NODE_ID: String(node.id),
    QUORUM_VOTERS: layout.nodes.map((n) => `${n.id}@${n.host}:${n.controllerPort}`).join(','),
    REPLICAS: String(replicas),
    MIN_ISR: String(minIsr),
  });
  writeGeneratedProperties(node.paths, `${base}\n${overrides}`);
}

/**
 * Starts the nodes that do not run (reusing the ones that do) and waits until every broker is
 * registered. Returns { brokers, started: [node ids], running: [node ids] }; throws with a reason.
 */
export async function ensureCluster(size, { env = process.env, timeoutMs = 120000, say = () => undefined } = {}) {
  const layout = clusterLayout(size, env);
  const recorded = recordedClusterSize(env);
  if (recorded && recorded !== size && clusterPids(clusterLayout(recorded, env)).length > 0)
    throw new Error(`a cluster of ${recorded} brokers runs in ${layout.dir}; npm run stack:stop first`);
  const single = brokerPidFromFile(layout.main);
  if (single)
    throw new Error(`the single broker (pid ${single}) runs on ${layout.brokers[0]}; npm run stack:stop first`);

  const running = new Set(clusterPids(layout).map((p) => p.id));
  const toStart = [];
  for (const node of layout.nodes) {
    if (running.has(node.id)) continue;
    if (await tcpOpen(node.host, node.port, 500))
      throw new Error(`${node.host}:${node.port} (node ${node.id}) is in use by something the stack did not start`);
    toStart.push(node);
  }
  if (toStart.length > 0) {
    const r = ensureKafkaJars(layout.main);
    if (r.downloaded) say(`kafka-jars: downloaded ${r.jars} jars to ${layout.main.libs}`);
    checkJava();
    fs.mkdirSync(layout.dir, { recursive: true });
    fs.writeFileSync(layout.sizeFile, `${size}\n`);
    let clusterId = fs.existsSync(layout.clusterIdFile) ? fs.readFileSync(layout.clusterIdFile, 'utf8').trim() : '';
    if (!clusterId) {
      clusterId = randomClusterId();
      fs.writeFileSync(layout.clusterIdFile, `${clusterId}\n`);
    }
    const heapEnv = { ...env, KAFKA_HEAP_OPTS: env.KAFKA_HEAP_OPTS || CLUSTER_HEAP };
    for (const node of toStart) {
      fs.mkdirSync(node.paths.logs, { recursive: true });
      renderLog4jProperties(node.paths);
      renderNodeProperties(layout, node);
      // every node formats with the cluster's id (ensureFormatted takes it from the node's id file)
      if (!fs.existsSync(node.paths.clusterIdFile)) fs.writeFileSync(node.paths.clusterIdFile, `${clusterId}\n`);
      ensureFormatted(node.paths);
      const child = spawnBroker(node.paths, heapEnv);
      if (!child.pid) throw new Error(`could not start node ${node.id} (${node.paths.kafkaLog})`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await kafkaAnswers(layout.brokers);
    if (info && info.brokers.length >= size) break;
    if (Date.now() > deadline) {
      const err = new Error(
        `${info ? info.brokers.length : 0} of ${size} brokers registered after ${timeoutMs / 1000}s`,
      );
      err.logFile = toStart[0]?.paths.serverLog ?? layout.nodes[0].paths.serverLog;
      throw err;
    }
    for (const node of toStart) {
      if (!brokerPidFromFile(node.paths)) {
        const err = new Error(`node ${node.id} exited before it was ready`);
        err.logFile = node.paths.kafkaLog;
        throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { layout, brokers: layout.brokers, started: toStart.map((n) => n.id), running: [...running] };
}
