/**
 * `npm run demo -- --name NAME`: the demo on a stack of its own inside the running broker and
 * Postgres, so it never shares the `metering` database, the contract's topics or the default
 * ports with anyone: database `metering_NAME` (created and migrated as its owner), topics
 * `NAME.usage.events.v1`, `NAME.usage.events.dlq.v1`, `NAME.billing.invoices.v1` (the declared
 * settings), consumer group `metering-aggregator-NAME`, and free ports for the four services.
 * Its environment is set before the configuration is read, so the services it starts inherit it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { asServiceRole, siblingDatabaseUrl } from '@metering/db';
import { createKafka, topicCopies } from '@metering/kafka';
import { loadConfig } from '@metering/service';
import { freePort } from '../bench/ports';

const root = join(__dirname, '..', '..');

/** Sets the environment of an isolated demo named `name`, then creates its database and topics. */
export async function isolate(name: string): Promise<void> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new Error('--name: lower-case letters, digits and _');
  const owner = siblingDatabaseUrl(loadConfig().databaseOwnerUrl, `metering_${name}`);
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const topics = {
    usage: `${name}.usage.events.v1`,
    dlq: `${name}.usage.events.dlq.v1`,
    invoices: `${name}.billing.invoices.v1`,
  };
  Object.assign(process.env, {
    DATABASE_OWNER_URL: owner,
    DATABASE_URL: asServiceRole(owner),
    USAGE_TOPIC: topics.usage,
    USAGE_DLQ_TOPIC: topics.dlq,
    INVOICES_TOPIC: topics.invoices,
    AGGREGATOR_GROUP: `metering-aggregator-${name}`,
    API_PORT: String(ports[0]),
    COLLECTOR_PORT: String(ports[1]),
    INVOICING_PORT: String(ports[2]),
    AGGREGATOR_PORT: String(ports[3]),
  });
  const migrate = `import('./scripts/stack-lib.mjs').then(async (m) => { await m.ensureDatabase(process.argv[1]); await m.migrate(process.argv[1]); }).catch((e) => { console.error(e.output ?? e); process.exit(1); })`;
  execFileSync(process.execPath, ['--input-type=module', '-e', migrate, owner], { stdio: 'inherit', cwd: root });
  const admin = createKafka(loadConfig().kafkaBrokers, `demo-${name}`).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicCopies(topics).filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing });
  } finally {
    await admin.disconnect();
  }
  console.log(`isolated as '${name}': database metering_${name}, topics ${name}.*, ports ${ports.join(', ')}`);
}
