import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from './pool';
import type { OrgId } from '@metering/domain';

export type AuditAction =
  | 'membership.put'
  | 'membership.delete'
  | 'token.issue'
  | 'token.revoke'
  | 'host.create'
  | 'host.revoke'
  | 'organization.create'
  | 'price.set'
  | 'price.remove'
  | 'commitment.set'
  | 'credit.grant'
  | 'alert.create'
  | 'alert.delete'
  | 'correction.request'
  | 'labels.set';

export interface AuditEntry {
  org: string | null;
  actor: string;
  action: AuditAction;
  subject: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  at: string;
}

/** Records a change in the caller's transaction, so the change and its record stand or fall together. */
export async function audit(client: Pick<PoolClient, 'query'>, e: AuditEntry): Promise<void> {
  await client.query('INSERT INTO audit_log (org, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)', [
    e.org,
    e.actor,
    e.action,
    e.subject,
    JSON.stringify(e.details ?? {}),
  ]);
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** An organization's audit log, newest first; `before` pages back by id. */
  async list(org: OrgId, opts: { limit: number; before?: bigint }): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<AuditRecord>(
      `SELECT id::text, org, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, subject, details
         FROM audit_log WHERE org = $1 ${opts.before !== undefined ? 'AND id < $3' : ''}
        ORDER BY id DESC LIMIT $2`,
      opts.before !== undefined ? [org, opts.limit, opts.before.toString()] : [org, opts.limit],
    );
    return rows;
  }
}
