import { Client } from 'pg';
import { adminUrl, runStartedAt, testRun } from './support/urls';

const STALE_MS = 6 * 3_600_000;

/** Drops this run's template and the databases its files could not drop (a failed test), and any left by runs hours old. */
export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^metering_(tpl|t)_'`,
    );
    const ours = new RegExp(`^metering_(tpl|t)_${testRun()}(_|$)`);
    for (const { datname } of rows) {
      const started = runStartedAt(datname);
      const stale = started !== null && Date.now() - started > STALE_MS;
      if (ours.test(datname) || stale) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
