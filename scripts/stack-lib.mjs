// Shared helpers of the local development stack (scripts/stack.mjs, scripts/stack-stop.mjs).
//
// Plain Node ESM, no build step; only node built-ins plus kafkajs and pg. The helpers live in
// scripts/stack-lib/ (base, process, kafka-install, kafka-topics, postgres); this file re-exports them.
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

export * from './stack-lib/base.mjs';
export * from './stack-lib/process.mjs';
export * from './stack-lib/kafka-install.mjs';
export * from './stack-lib/kafka-topics.mjs';
export * from './stack-lib/postgres.mjs';
