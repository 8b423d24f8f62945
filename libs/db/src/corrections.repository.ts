import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { asValidatedOrg, type OrgId } from '@metering/domain';
import { type Correction, type CorrectionStatus, sameCorrection, staysNonNegative } from '@metering/billing';
import { hourOf } from '@metering/metering';
import { audit } from './audit.repository';
import { OutboxMessage, OutboxRepository } from './outbox.repository';
import { PG_POOL, withTransaction } from './pool';

export interface CorrectionView {
  id: string;
  org: string;
  time: string;
  region: string;
  app: string;
  resource: string;
  sku: string;
  quantity: string;
  reason: string;
  status: CorrectionStatus;
  requested_by: string;
  requested_at: string;
}

export type CorrectionRequest =
  | { kind: 'accepted'; view: CorrectionView }
  /** The same id and content again: nothing new is recorded, the message is sent again (the fold counts it once). */
  | { kind: 'resent'; view: CorrectionView }
  | { kind: 'conflict'; view: CorrectionView }
  | { kind: 'unknown-org' }
  /** The resource's hour holds `current`, which the correction would take below zero. */
  | { kind: 'below-zero'; current: string };

type Row = Omit<CorrectionView, 'time' | 'status' | 'requested_by' | 'requested_at'> & {
  time: Date;
  actor: string;
  requested_at: Date;
  status: CorrectionStatus | null;
};

const COLUMNS = `c.id, c.org, c.time, c.region, c.app, c.resource, c.sku, c.quantity::text AS quantity, c.reason, c.actor,
  c.requested_at, coalesce(o.status, 'pending') AS status`;

function view(r: Row): CorrectionView {
  return {
    id: r.id,
    org: r.org,
    time: r.time.toISOString(),
    region: r.region,
    app: r.app,
    resource: r.resource,
    sku: r.sku,
    quantity: r.quantity,
    reason: r.reason,
    status: r.status ?? 'pending',
    requested_by: r.actor,
    requested_at: r.requested_at.toISOString(),
  };
}

function asCorrection(r: Row, type: string): Correction {
  return { ...r, org: asValidatedOrg(r.org), time: r.time.getTime(), type };
}

/** Corrections as the billing team asks for them; what the fold decided is joined from its outcomes. */
@Injectable()
export class CorrectionsRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly outbox: OutboxRepository,
  ) {}

  /**
   * Records a correction with its audit entry and its message to Kafka (through the outbox, so a
   * crash after the answer loses nothing), in one transaction; refuses one that would take the
   * resource's hour below zero as the projection stands now. The fold checks again when it
   * folds it, against the log's order.
   */
  request(c: Correction, actor: string, message: OutboxMessage): Promise<CorrectionRequest> {
    return withTransaction(this.pool, async (client): Promise<CorrectionRequest> => {
      const known = await this.find(client, c.id);
      if (known) return this.again(client, known, c, message);
      const org = await client.query('SELECT 1 FROM organizations WHERE slug = $1', [c.org]);
      if (org.rowCount !== 1) return { kind: 'unknown-org' };
      const current = await this.hourNow(client, c);
      if (!staysNonNegative(current, c.quantity)) return { kind: 'below-zero', current };
      const inserted = await client.query(
        `INSERT INTO corrections (id, org, time, region, app, resource, sku, quantity, reason, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [c.id, c.org, new Date(c.time), c.region, c.app, c.resource, c.sku, c.quantity, c.reason, actor],
      );
      // Another request of the same id committed meanwhile: answer as to a re-send.
      if (inserted.rowCount !== 1) return this.again(client, (await this.find(client, c.id))!, c, message);
      await audit(client, {
        org: c.org,
        actor,
        action: 'correction.request',
        subject: c.id,
        details: { ...c, time: new Date(c.time).toISOString() },
      });
      await this.outbox.insert(client, [message]);
      return { kind: 'accepted', view: view((await this.find(client, c.id))!) };
    });
  }

  async list(org?: OrgId): Promise<CorrectionView[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM corrections c LEFT JOIN correction_outcomes o ON o.id = c.id
        ${org === undefined ? '' : 'WHERE c.org = $1'} ORDER BY c.requested_at, c.id`,
      org === undefined ? [] : [org],
    );
    return rows.map(view);
  }

  private async again(
    client: PoolClient,
    known: Row,
    c: Correction,
    message: OutboxMessage,
  ): Promise<CorrectionRequest> {
    if (!sameCorrection(asCorrection(known, c.type), c)) return { kind: 'conflict', view: view(known) };
    // Sent again unless the fold has decided it: the caller may be retrying a message that never left.
    if (known.status === null) await this.outbox.insert(client, [message]);
    return { kind: 'resent', view: view(known) };
  }

  private async find(client: PoolClient, id: string): Promise<Row | undefined> {
    const { rows } = await client.query<Row>(
      `SELECT ${COLUMNS} FROM corrections c LEFT JOIN correction_outcomes o ON o.id = c.id WHERE c.id = $1`,
      [id],
    );
    return rows[0] ? { ...rows[0], status: rows[0].status === 'pending' ? null : rows[0].status } : undefined;
  }

  /** The resource's hour as the projection holds it now ('0' when it holds nothing). */
  private async hourNow(client: PoolClient, c: Correction): Promise<string> {
    const { rows } = await client.query<{ quantity: string }>(
      `SELECT quantity::text FROM usage_resource_hourly
        WHERE org = $1 AND hour = $2 AND sku = $3 AND app = $4 AND region = $5 AND resource = $6`,
      [c.org, new Date(hourOf(c.time)), c.sku, c.app, c.region, c.resource],
    );
    return rows[0]?.quantity ?? '0';
  }
}
