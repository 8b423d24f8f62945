import { asServiceRole } from '@metering/db';
import { loadConfig, MeteringConfig } from '@metering/service';
import type { TestTopics } from './kafka';
import { kafkaBrokers } from './urls';

export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789';

/**
 * A service configuration on the test's own database and topics; ports 0 (any free one).
 * `databaseUrl` is the owner's (a TestDatabase's url); the services connect as metering_app,
 * as they do in production, so every test of them proves its grants are enough.
 */
export function testConfig(
  databaseUrl: string,
  topics: TestTopics,
  overrides: Partial<MeteringConfig> = {},
): MeteringConfig {
  const base = loadConfig({
    DATABASE_URL: asServiceRole(databaseUrl),
    DATABASE_OWNER_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers().join(','),
    METERING_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    LOG_LEVEL: 'warn',
  });
  return {
    ...base,
    ports: { collector: 0, api: 0, invoicing: 0, aggregator: 0 },
    topics: { usage: topics.usage, dlq: topics.dlq, invoices: topics.invoices },
    consumerGroup: `test-aggregator-${topics.usage}`,
    // Tests fire requests faster than any client should; the limiter has tests of its own.
    rateLimits: { ingest: { perSecond: 1e6, burst: 1e6 }, read: { perSecond: 1e6, burst: 1e6 } },
    // Tests read what they just folded; the staleness bound has tests of its own.
    readStalenessMs: 0,
    ...overrides,
  };
}
