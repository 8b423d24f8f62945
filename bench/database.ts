import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';

const root = join(__dirname, '..', '..');

/** The URL of another database on DATABASE_URL's server. */
export function databaseUrl(name: string): string {
  const url = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/metering');
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: databaseUrl('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A new, migrated database (dropped first if it exists). */
export async function freshDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  const url = databaseUrl(name);
  execFileSync(process.execPath, [join(root, 'scripts', 'migrate.mjs'), url], { stdio: 'inherit' });
  return url;
}

/** A copy of `template` (a file-level copy: seconds, whatever its size). */
export async function cloneDatabase(template: string, name: string): Promise<string> {
  await dropDatabase(name);
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return databaseUrl(name);
}
