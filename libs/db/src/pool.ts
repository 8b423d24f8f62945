import { Pool, PoolClient, PoolConfig } from 'pg';

export const PG_POOL = Symbol('PG_POOL');

export function createPool(databaseUrl: string, overrides: Partial<PoolConfig> = {}): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // A statement that runs away must not hold a request (or a batch) forever.
    statement_timeout: 60_000,
    ...overrides,
  });
  // An idle client losing its connection (Postgres restarted) must not crash the process;
  // the pool replaces it on the next checkout.
  pool.on('error', () => undefined);
  // So must a checked-out client losing it between two queries (a crash mid-transaction): pg
  // emits 'error' on the client then, and with no listener that is an uncaught exception. The
  // next query on it fails, the caller's transaction with it, and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs fn inside BEGIN/COMMIT; rolls back and rethrows on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    client.release(broken);
  }
}

export function pgReadiness(pool: Pool) {
  return { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) };
}
