import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { renamed, topicConfig, topicSpec } from '@metering/kafka';
import { kafkaBrokers } from './urls';

export interface TestTopics {
  usage: string;
  dlq: string;
  invoices: string;
  kafka: Kafka;
  drop(): Promise<void>;
}

/** Private copies of the pipeline's topics (same settings), so test files never see each other's events. */
export async function createTestTopics(): Promise<TestTopics> {
  const suffix = randomBytes(4).toString('hex');
  const kafka = new Kafka({ clientId: `test-${suffix}`, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const names = {
    usage: `test.${suffix}.usage.events.v1`,
    dlq: `test.${suffix}.usage.events.dlq.v1`,
    invoices: `test.${suffix}.billing.invoices.v1`,
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        renamed(topicSpec('usage.events.v1'), names.usage),
        renamed(topicSpec('usage.events.dlq.v1'), names.dlq),
        renamed(topicSpec('billing.invoices.v1'), names.invoices),
      ].map(topicConfig),
    });
  } finally {
    await admin.disconnect();
  }
  return {
    ...names,
    kafka,
    async drop() {
      const a = kafka.admin();
      await a.connect();
      try {
        await a.deleteTopics({ topics: Object.values(names) });
      } finally {
        await a.disconnect();
      }
    },
  };
}
