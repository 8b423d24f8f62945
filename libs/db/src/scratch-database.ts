import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

/** The URL of another database on the same server as `url`. */
export function siblingDatabaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: siblingDatabaseUrl(url, 'postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function migrateScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'migrate.mjs');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('scripts/migrate.mjs not found above this module');
  }
}

/** `url` is the owner's (DATABASE_OWNER_URL): the services' role may not create or drop databases. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: '${name}'`);
  await onServer(url, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * A new database beside `url`'s, with every migration applied (dropped first if it exists):
 * for replays that must not touch the live tables (verify) and for benchmarks. As the owner
 * of `url`, who creates it and runs the migrations, and so owns it.
 */
export async function freshDatabase(url: string, name: string): Promise<string> {
  await dropDatabase(url, name);
  const fresh = siblingDatabaseUrl(url, name);
  execFileSync(process.execPath, [migrateScript(), fresh], { stdio: ['ignore', 'ignore', 'inherit'] });
  return fresh;
}
