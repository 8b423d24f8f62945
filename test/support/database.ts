import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createPool } from '@metering/db';
import { adminUrl, templateDb, testDatabaseUrl, testRun } from './urls';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A private, migrated database for one test file: a copy of the template made by global-setup. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `metering_t_${testRun()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDb()}`);
        break;
      } catch (e) {
        // Another file cloning the template at the same moment: try again shortly.
        if (attempt > 20 || !String(e).includes('is being accessed by other users')) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = testDatabaseUrl(name);
  const pool = createPool(url, { max: 4 });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = new Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
