import { Client } from 'pg';
import { dropDatabase as drop, freshDatabase as fresh, siblingDatabaseUrl } from '@metering/db';
import { loadConfig } from '@metering/service';

/** Benchmarks make and drop databases: as the owner (DATABASE_OWNER_URL). */
const base = () => loadConfig().databaseOwnerUrl;

/** The owner's URL of another database on the owner's server. */
export function databaseUrl(name: string): string {
  return siblingDatabaseUrl(base(), name);
}

export function dropDatabase(name: string): Promise<void> {
  return drop(base(), name);
}

/** A new, migrated database (dropped first if it exists). */
export function freshDatabase(name: string): Promise<string> {
  return fresh(base(), name);
}

/** A copy of `template` (a file-level copy: seconds, whatever its size). */
export async function cloneDatabase(template: string, name: string): Promise<string> {
  await dropDatabase(name);
  const c = new Client({ connectionString: databaseUrl('postgres') });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await c.end();
  }
  return databaseUrl(name);
}
