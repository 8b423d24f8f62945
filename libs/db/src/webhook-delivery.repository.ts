import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './pool';

/** A delivery claimed for one attempt, with what signing it takes. */
export interface DueDelivery {
  id: string;
  alertId: string;
  url: string;
  body: string;
  secret: string;
  /** Failed attempts so far. */
  attempts: number;
  createdAt: number;
  /** The alert was removed since it fired: the delivery stops. */
  alertRemoved: boolean;
}

/**
 * The webhook outbox. A claim moves the row's next attempt a lease ahead, so other instances
 * leave it alone while this one tries it (SKIP LOCKED while claiming, the lease afterwards),
 * and a crashed instance's row comes due again when the lease runs out: at least once.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async claimDue(limit: number, leaseMs: number): Promise<DueDelivery[]> {
    const { rows } = await this.pool.query<{
      id: string;
      alert_id: string;
      url: string;
      body: string;
      secret: string;
      attempts: number;
      created_at: Date;
      removed: boolean;
    }>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       UPDATE webhook_deliveries w SET next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM due, alerts a
        WHERE w.id = due.id AND a.id = w.alert_id
       RETURNING w.id, w.alert_id, w.url, w.body, a.secret, w.attempts, w.created_at, a.deleted_at IS NOT NULL AS removed`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      alertId: r.alert_id,
      url: r.url,
      body: r.body,
      secret: r.secret,
      attempts: r.attempts,
      createdAt: r.created_at.getTime(),
      alertRemoved: r.removed,
    }));
  }

  async delivered(id: string, httpStatus: number): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL,
              last_attempt_at = now(), delivered_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, httpStatus],
    );
  }

  /** A failed attempt: tried again at `retryAt`, or marked failed when that is null. */
  async attemptFailed(id: string, httpStatus: number | null, error: string, retryAt: number | null): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries
          SET attempts = attempts + 1, last_status = $2, last_error = left($3, 500), last_attempt_at = now(),
              status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
              next_attempt_at = coalesce($4::timestamptz, next_attempt_at)
        WHERE id = $1 AND status = 'pending'`,
      [id, httpStatus, error, retryAt === null ? null : new Date(retryAt).toISOString()],
    );
  }

  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return Number(rows[0]!.n);
  }
}
