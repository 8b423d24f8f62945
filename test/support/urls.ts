/**
 * Tests use their own databases on the server of DATABASE_URL, never the database itself.
 * Every run has an id (a base-36 start time, set by global-setup for all workers), and its
 * template and databases carry it, so runs side by side never touch each other's databases.
 */
export function testRun(): string {
  return process.env['METERING_TEST_RUN'] ?? 'adhoc';
}

export function templateDb(): string {
  return `metering_tpl_${testRun()}`;
}

/** The run id's start time, or null for a name that is not a test database. */
export function runStartedAt(database: string): number | null {
  const m = /^metering_(?:tpl|t)_([0-9a-z]+)/.exec(database);
  return m ? parseInt(m[1]!, 36) : null;
}

function base(): URL {
  return new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/metering');
}

export function testDatabaseUrl(database: string): string {
  const url = base();
  url.pathname = `/${database}`;
  return url.toString();
}

export function adminUrl(): string {
  return testDatabaseUrl('postgres');
}

export function kafkaBrokers(): string[] {
  return (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
}
