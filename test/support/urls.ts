/** Tests use their own databases on the server of DATABASE_URL, never the database itself. */
// METERING_TEST_TEMPLATE lets two checkouts run their suites against one server side by side.
export const TEMPLATE_DB = process.env['METERING_TEST_TEMPLATE'] ?? 'metering_test_template';

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
