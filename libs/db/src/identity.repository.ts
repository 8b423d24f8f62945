import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './pool';
import { hashToken, newId, newToken } from './secrets';
import type { OrgId } from './tenancy';

export type Role = 'viewer' | 'billing' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'billing', 'admin'];

export type Principal =
  | { kind: 'operator' }
  | { kind: 'host'; hostId: string; tokenId: string }
  | { kind: 'member'; org: string; email: string; role: Role; tokenId: string };

export interface Organization {
  slug: string;
  name: string;
  created_at: string;
}

export interface Membership {
  email: string;
  role: Role;
  created_at: string;
}

export class ConflictError extends Error {}
export class MissingError extends Error {}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Organizations, hosts, memberships and tokens: who may call the services, and as what. */
@Injectable()
export class IdentityRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The principal a bearer token stands for, or null when it is unknown or revoked. */
  async authenticate(token: string): Promise<Principal | null> {
    const { rows } = await this.pool.query<{
      id: string; kind: 'host' | 'member'; host_id: string | null; org: string | null; email: string | null; role: Role | null;
    }>(
      `SELECT t.id, t.kind, t.host_id, t.org, t.email, m.role
         FROM tokens t
         LEFT JOIN hosts h ON h.id = t.host_id
         LEFT JOIN memberships m ON m.org = t.org AND m.email = t.email
        WHERE t.hash = $1 AND t.revoked_at IS NULL AND h.revoked_at IS NULL`,
      [hashToken(token)],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.kind === 'host' && row.host_id) return { kind: 'host', hostId: row.host_id, tokenId: row.id };
    if (row.kind === 'member' && row.org && row.email && row.role) {
      return { kind: 'member', org: row.org, email: row.email, role: row.role, tokenId: row.id };
    }
    return null;
  }

  async createOrganization(slug: string, name: string): Promise<Organization> {
    try {
      const { rows } = await this.pool.query<Organization>(
        `INSERT INTO organizations (slug, name) VALUES ($1, $2)
         RETURNING slug, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at`,
        [slug, name],
      );
      return rows[0]!;
    } catch (e) {
      if (pgCode(e) === UNIQUE_VIOLATION) throw new ConflictError(`organization '${slug}' already exists`);
      throw e;
    }
  }

  async organizationExists(slug: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM organizations WHERE slug = $1', [slug]);
    return rowCount === 1;
  }

  /** Those of `slugs` that are organizations. */
  async existingOrganizations(slugs: string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ slug: string }>('SELECT slug FROM organizations WHERE slug = ANY($1::text[])', [slugs]);
    return rows.map((r) => r.slug);
  }

  async organizationSlugs(): Promise<string[]> {
    const { rows } = await this.pool.query<{ slug: string }>('SELECT slug FROM organizations');
    return rows.map((r) => r.slug);
  }

  async getOrganization(org: OrgId): Promise<Organization | null> {
    const { rows } = await this.pool.query<Organization>(
      `SELECT slug, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
         FROM organizations WHERE slug = $1`,
      [org],
    );
    return rows[0] ?? null;
  }

  /** A new host and its token; the token is returned once and only its hash is kept. */
  async createHost(name: string): Promise<{ id: string; name: string; token: string }> {
    const id = newId('h');
    const token = newToken('mh');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO hosts (id, name) VALUES ($1, $2)', [id, name]);
      await client.query(`INSERT INTO tokens (id, hash, kind, host_id, name) VALUES ($1, $2, 'host', $3, $4)`, [
        newId('tok'), hashToken(token), id, name,
      ]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
    return { id, name, token };
  }

  /** Revokes a host and so every token it holds, at once. False when no such live host. */
  async revokeHost(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE hosts SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return rowCount === 1;
  }

  async putMembership(org: OrgId, email: string, role: Role): Promise<Membership> {
    const { rows } = await this.pool.query<Membership>(
      `INSERT INTO memberships (org, email, role) VALUES ($1, $2, $3)
       ON CONFLICT (org, email) DO UPDATE SET role = EXCLUDED.role
       RETURNING email, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at`,
      [org, email.toLowerCase(), role],
    );
    return rows[0]!;
  }

  async listMemberships(org: OrgId): Promise<Membership[]> {
    const { rows } = await this.pool.query<Membership>(
      `SELECT email, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
         FROM memberships WHERE org = $1 ORDER BY email`,
      [org],
    );
    return rows;
  }

  /** Removes a membership; its tokens go with it (and stop working at once). */
  async deleteMembership(org: OrgId, email: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM memberships WHERE org = $1 AND email = $2', [org, email.toLowerCase()]);
    return rowCount === 1;
  }

  async issueMemberToken(org: OrgId, email: string, name: string): Promise<{ id: string; token: string; role: Role }> {
    const token = newToken('mm');
    const id = newId('tok');
    try {
      const { rows } = await this.pool.query<{ role: Role }>(
        `WITH t AS (INSERT INTO tokens (id, hash, kind, org, email, name) VALUES ($1, $2, 'member', $3, $4, $5) RETURNING org, email)
         SELECT m.role FROM t JOIN memberships m USING (org, email)`,
        [id, hashToken(token), org, email.toLowerCase(), name],
      );
      return { id, token, role: rows[0]!.role };
    } catch (e) {
      if (pgCode(e) === FOREIGN_KEY_VIOLATION) throw new MissingError(`'${email}' is not a member of this organization`);
      throw e;
    }
  }

  async revokeMemberToken(org: OrgId, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE tokens SET revoked_at = now() WHERE id = $1 AND kind = 'member' AND org = $2 AND revoked_at IS NULL`,
      [id, org],
    );
    return rowCount === 1;
  }
}
