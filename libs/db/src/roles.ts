import type { Pool } from 'pg';

/**
 * The role the services connect as (migration 1795300000500): rows only, no schema changes, no
 * way past the append-only triggers. Migrations, `aggregator rebuild` and `billing verify`
 * connect as the schema's owner instead (DATABASE_OWNER_URL).
 */
export const SERVICE_ROLE = 'metering_app';

/** The owner's URL as the services' role: same server, database and options, user metering_app, no password. */
export function asServiceRole(ownerUrl: string): string {
  const u = new URL(ownerUrl);
  u.username = SERVICE_ROLE;
  u.password = '';
  return u.toString();
}

/**
 * The role `pool` connects as, when that role can alter the schema (a superuser, or the owner
 * of `invoices` or a member of its owner); null when it cannot.
 */
export async function schemaAlteringRole(pool: Pool): Promise<string | null> {
  const { rows } = await pool.query<{ role: string; alters: boolean }>(
    `SELECT current_user AS role,
            r.rolsuper OR coalesce(pg_has_role(current_user, c.relowner, 'USAGE'), false) AS alters
       FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('invoices')
      WHERE r.rolname = current_user`,
  );
  return rows[0]?.alters ? rows[0].role : null;
}

export function schemaAlteringRoleWarning(role: string): string {
  return `connected to Postgres as ${role}, which can alter the schema and bypass the invoice triggers; run the services as ${SERVICE_ROLE}, see README`;
}
