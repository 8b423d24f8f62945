// Relative, not @metering/db: global-setup loads this file, outside jest's module mapping.
import { SERVICE_ROLE } from '../../libs/db/src/roles';

/**
 * Tests use their own databases on the server of DATABASE_OWNER_URL, never the database itself.
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

/**
 * The owner's URL: tests create, migrate and drop databases, and set up fixtures no service may
 * write. DATABASE_OWNER_URL; or DATABASE_URL when that names another role than the services'
 * (a set-up from before the roles were split); or the default. The services under test connect
 * as metering_app (support/config.ts).
 */
function base(): URL {
  const owner = process.env['DATABASE_OWNER_URL'];
  if (owner) return new URL(owner);
  const url = process.env['DATABASE_URL'];
  if (url && decodeURIComponent(new URL(url).username) !== SERVICE_ROLE) return new URL(url);
  return new URL('postgres://postgres@127.0.0.1:5432/metering');
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
