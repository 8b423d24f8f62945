import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL, withTransaction } from './pool';

type Queryable = Pick<PoolClient, 'query'>;

/** A message waiting to go to Kafka. */
export interface OutboxMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Messages written in the transaction that issued what they announce, and relayed to Kafka
 * afterwards, oldest first: at least once, never lost.
 */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async insert(db: Queryable, rows: readonly OutboxMessage[]): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO outbox (topic, key, value, headers) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])`,
      [
        rows.map((r) => r.topic),
        rows.map((r) => r.key),
        rows.map((r) => r.value),
        rows.map((r) => JSON.stringify(r.headers)),
      ],
    );
  }

  /**
   * Claims up to `limit` unsent messages (oldest first, skipping those another relay holds),
   * hands them to `send` and marks them sent once it resolved, in one transaction: a failed
   * send leaves them unsent. Returns how many were sent.
   */
  async relayOldest(limit: number, send: (messages: OutboxMessage[]) => Promise<void>): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<OutboxMessage & { id: string }>(
        'SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [limit],
      );
      if (rows.length === 0) return 0;
      await send(rows.map(({ topic, key, value, headers }) => ({ topic, key, value, headers })));
      await client.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
    return Number(rows[0]!.n);
  }
}
