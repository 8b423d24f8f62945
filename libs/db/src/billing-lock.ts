import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from './pool';

// One lock for everything that issues documents (closes and voids): they take numbers from
// one gapless counter and must see each other's results, so they run one at a time.
const BILLING_LOCK = 0x6d65746572; // "meter"

/** The transactions billing reads and issues in. */
@Injectable()
export class BillingLock {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Runs fn on a client holding the billing lock, inside a REPEATABLE READ transaction begun
   * after the lock was granted, so the snapshot includes whatever the previous holder committed.
   */
  async underLock<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('SELECT pg_advisory_lock($1)', [BILLING_LOCK]);
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw e;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [BILLING_LOCK]).catch(() => {
          broken = true;
        });
      }
    } finally {
      // A connection that could not roll back or unlock is discarded (which also frees the lock).
      client.release(broken);
    }
  }

  /** A read-only consistent snapshot, for previews and reconciliation. */
  async inSnapshot<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await fn(client);
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      client.release();
    }
  }
}
