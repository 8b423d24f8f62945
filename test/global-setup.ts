import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { adminUrl, templateDb, testDatabaseUrl } from './support/urls';

const root = join(__dirname, '..');

/**
 * Runs once before all tests: makes sure Kafka and Postgres are up (starting them the way
 * `npm run stack` does when they are not), then builds a freshly migrated template database
 * that every integration test clones in a few hundred milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  // Workers are started after this and inherit it.
  process.env['METERING_TEST_RUN'] ??= Date.now().toString(36);
  const TEMPLATE_DB = templateDb();
  execFileSync(process.execPath, [join(root, 'scripts', 'stack.mjs'), '--quiet', '--no-migrate'], {
    stdio: 'inherit',
    cwd: root,
  });
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  execFileSync(process.execPath, [join(root, 'scripts', 'migrate.mjs'), testDatabaseUrl(TEMPLATE_DB)], {
    stdio: 'inherit',
    cwd: root,
  });
}
