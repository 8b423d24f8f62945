import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { kafkajsSecurityFromEnv } from './client-security.mjs';
import { DEFAULT_TOPICS_FILE, REPO_ROOT, parseBrokers, sleep, splitHostPort, tcpOpen } from './base.mjs';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------
// Kafka: client side

let kafkajsModule;
export function kafkajs() {
  if (!kafkajsModule) {
    kafkajsModule = require('kafkajs');
    quietIdleRequestQueues();
  }
  return kafkajsModule;
}

// kafkajs 2.2.4 re-arms a 1 ms timer on every idle broker connection (a negative delay, which
// Node 24+ warns about): the same fix as libs/kafka/src/kafkajs-idle-timer.ts, which says why.
function quietIdleRequestQueues() {
  const RequestQueue = require('kafkajs/src/network/requestQueue');
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function () {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
}

function makeKafka(
  brokers,
  { clientId = 'stack', connectionTimeout = 1000, requestTimeout = 10000, retries = 2 } = {},
) {
  const { Kafka, logLevel } = kafkajs();
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    ...kafkajsSecurityFromEnv(),
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
  const open = await Promise.all(
    list.map((b) => {
      const { host, port } = splitHostPort(b);
      return tcpOpen(host, port, 1000);
    }),
  );
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
          if (e.configSource === 1 && !(e.configName in t.config))
            drift.push(`${e.configName}: ${e.configValue} -> (default)`);
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
  let created;
  try {
    created = !(await admin.listTopics()).includes('__consumer_offsets');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await admin.describeGroups(['stack-warmup']);
        break;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`group coordinator not available after ${timeoutMs / 1000}s: ${e.message}`, { cause: e });
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
