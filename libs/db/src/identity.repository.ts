import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { audit } from './audit.repository';
import { PG_POOL, withTransaction } from './pool';
import { hashToken, newId, newToken } from './secrets';
import type { OrgId } from '@metering/domain';

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
      id: string;
      kind: 'host' | 'member';
      host_id: string | null;
      org: string | null;
      email: string | null;
      role: Role | null;
    }>({
      // Every request asks this: a prepared statement per connection skips the parse and plan.
      name: 'authenticate-token',
      text: `SELECT t.id, t.kind, t.host_id, t.org, t.email, m.role
               FROM tokens t
               LEFT JOIN hosts h ON h.id = t.host_id
               LEFT JOIN memberships m ON m.org = t.org AND m.email = t.email
              WHERE t.hash = $1 AND t.revoked_at IS NULL AND h.revoked_at IS NULL`,
      values: [hashToken(token)],
    });
    const row = rows[0];
    if (!row) return null;
    if (row.kind === 'host' && row.host_id) return { kind: 'host', hostId: row.host_id, tokenId: row.id };
    if (row.kind === 'member' && row.org && row.email && row.role) {
      return { kind: 'member', org: row.org, email: row.email, role: row.role, tokenId: row.id };
    }
    return null;
  }

  async createOrganization(slug: string, name: string, actor: string): Promise<Organization> {
    try {
      return await withTransaction(this.pool, async (client) => {
        const { rows } = await client.query<Organization>(
          `INSERT INTO organizations (slug, name) VALUES ($1, $2)
           RETURNING slug, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at`,
          [slug, name],
        );
        await audit(client, { org: slug, actor, action: 'organization.create', subject: slug, details: { name } });
        return rows[0]!;
      });
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
    const { rows } = await this.pool.query<{ slug: string }>(
      'SELECT slug FROM organizations WHERE slug = ANY($1::text[])',
      [slugs],
    );
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
  async createHost(name: string, actor: string): Promise<{ id: string; name: string; token: string }> {
    const id = newId('h');
    const token = newToken('mh');
    await withTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO hosts (id, name) VALUES ($1, $2)', [id, name]);
      await client.query(`INSERT INTO tokens (id, hash, kind, host_id, name) VALUES ($1, $2, 'host', $3, $4)`, [
        newId('tok'),
        hashToken(token),
        id,
        name,
      ]);
      await audit(client, { org: null, actor, action: 'host.create', subject: id, details: { name } });
    });
    return { id, name, token };
  }

  /** Revokes a host and so every token it holds, at once. False when no such live host. */
  async revokeHost(id: string, actor: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        'UPDATE hosts SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
        [id],
      );
      if (rowCount === 1) await audit(client, { org: null, actor, action: 'host.revoke', subject: id });
      return rowCount === 1;
    });
  }

  async putMembership(org: OrgId, email: string, role: Role, actor: string): Promise<Membership> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<Membership>(
        `INSERT INTO memberships (org, email, role) VALUES ($1, $2, $3)
         ON CONFLICT (org, email) DO UPDATE SET role = EXCLUDED.role
         RETURNING email, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at`,
        [org, email.toLowerCase(), role],
      );
      await audit(client, { org, actor, action: 'membership.put', subject: email.toLowerCase(), details: { role } });
      return rows[0]!;
    });
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
  async deleteMembership(org: OrgId, email: string, actor: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query('DELETE FROM memberships WHERE org = $1 AND email = $2', [
        org,
        email.toLowerCase(),
      ]);
      if (rowCount === 1)
        await audit(client, {
          org,
          actor,
          action: 'membership.delete',
          subject: email.toLowerCase(),
          details: { tokens: 'deleted with it' },
        });
      return rowCount === 1;
    });
  }

  async issueMemberToken(
    org: OrgId,
    email: string,
    name: string,
    actor: string,
  ): Promise<{ id: string; token: string; role: Role }> {
    const token = newToken('mm');
    const id = newId('tok');
    try {
      return await withTransaction(this.pool, async (client) => {
        const { rows } = await client.query<{ role: Role }>(
          `WITH t AS (INSERT INTO tokens (id, hash, kind, org, email, name) VALUES ($1, $2, 'member', $3, $4, $5) RETURNING org, email)
           SELECT m.role FROM t JOIN memberships m USING (org, email)`,
          [id, hashToken(token), org, email.toLowerCase(), name],
        );
        await audit(client, {
          org,
          actor,
          action: 'token.issue',
          subject: id,
          details: { email: email.toLowerCase(), name },
        });
        return { id, token, role: rows[0]!.role };
      });
    } catch (e) {
      if (pgCode(e) === FOREIGN_KEY_VIOLATION)
        throw new MissingError(`'${email}' is not a member of this organization`);
      throw e;
    }
  }

  async revokeMemberToken(org: OrgId, id: string, actor: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE tokens SET revoked_at = now() WHERE id = $1 AND kind = 'member' AND org = $2 AND revoked_at IS NULL`,
        [id, org],
      );
      if (rowCount === 1) await audit(client, { org, actor, action: 'token.revoke', subject: id });
      return rowCount === 1;
    });
  }

  /** Member tokens of an organization (never their values), for its admins. */
  async listMemberTokens(
    org: OrgId,
  ): Promise<{ id: string; email: string; name: string; created_at: string; revoked_at: string | null }[]> {
    const { rows } = await this.pool.query<{
      id: string;
      email: string;
      name: string;
      created_at: string;
      revoked_at: string | null;
    }>(
      `SELECT id, email, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
              to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at
         FROM tokens WHERE kind = 'member' AND org = $1 ORDER BY created_at, id`,
      [org],
    );
    return rows;
  }
}
