import type { Pool, PoolClient } from 'pg';
import { LIVE_TABLES, ProjectionTables } from './projection-tables';
import { storedPositions } from './projection.store';

/** Where a rebuild folds: fresh tables beside the live ones, and a scratch set of seen keys. */
export const REBUILD_TABLES: ProjectionTables = {
  hourly: 'usage_hourly_rebuild',
  resources: 'usage_resource_hourly_rebuild',
  monthly: 'usage_monthly_rebuild',
  daily: 'usage_daily_rebuild',
  resourceDays: 'usage_resource_day_rebuild',
  seen: 'seen_events_rebuild',
  corrections: 'correction_outcomes_rebuild',
  seenPartitioned: false,
};

const SWAPPED = [
  [LIVE_TABLES.hourly, REBUILD_TABLES.hourly],
  [LIVE_TABLES.resources, REBUILD_TABLES.resources],
  [LIVE_TABLES.monthly, REBUILD_TABLES.monthly],
  [LIVE_TABLES.corrections, REBUILD_TABLES.corrections],
  [LIVE_TABLES.daily!, REBUILD_TABLES.daily!],
  [LIVE_TABLES.resourceDays!, REBUILD_TABLES.resourceDays!],
] as const;

export interface SwapReport {
  /** The live positions the rebuilt tables were caught up to and swapped in at. */
  positions: Map<number, bigint>;
  /** Rows in one of (rebuilt, live) and not in the other, per table, at those positions. */
  differences: Record<string, number>;
}

/** The grants (role, privilege) of a table other than its owner's; PUBLIC is spelled so. */
const GRANTS = `
  SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
   WHERE c.oid = $1::regclass AND a.grantee <> c.relowner`;

/**
 * Gives table `to` exactly the grants of table `from` (CREATE TABLE ... LIKE copies none, and
 * default privileges may have given others). The rebuild runs as the owner, who may grant.
 */
async function copyGrants(client: PoolClient, from: string, to: string): Promise<void> {
  type Grant = { grantee: string; privilege: string; grantable: boolean };
  const given = new Set((await client.query<Grant>(GRANTS, [to])).rows.map((g) => g.grantee));
  for (const grantee of given) await client.query(`REVOKE ALL ON ${to} FROM ${grantee}`);
  for (const g of (await client.query<Grant>(GRANTS, [from])).rows) {
    await client.query(`GRANT ${g.privilege} ON ${to} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
  }
}

/**
 * The database side of `aggregator rebuild`. The rebuilt projections are folded into fresh
 * tables by the same code as the live ones, never past the live positions; the swap then, in
 * one transaction, holds the live projections still (a table lock that every live batch needs
 * to commit), brings the rebuilt tables to exactly the live positions, compares them with the
 * live ones row by row, and renames them into place. The live aggregators go on from the
 * positions they had, which the rebuilt tables now match; their seen keys stay valid as they
 * were, so nothing but the projections changes hands.
 */
export class RebuildStore {
  constructor(private readonly pool: Pool) {}

  /** Empty rebuild tables (leftovers of an interrupted rebuild are dropped) and no rebuild positions. */
  async prepare(rebuildGroup: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await this.dropRebuildTables(client);
      for (const [live, fresh] of SWAPPED) {
        // LIKE copies columns, constraints and indexes, not storage parameters.
        await client.query(`CREATE TABLE ${fresh} (LIKE ${live} INCLUDING ALL) WITH (fillfactor = 80)`);
        // Nor privileges: without the live table's, the services could not use it once swapped in.
        await copyGrants(client, live, fresh);
      }
      // Scratch: it never becomes live, and a rebuild always starts over, so it needs no WAL.
      await client.query(`CREATE UNLOGGED TABLE ${REBUILD_TABLES.seen} (day date NOT NULL, key uuid PRIMARY KEY)`);
      await client.query('DELETE FROM consumer_offsets WHERE consumer_group = $1', [rebuildGroup]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** The stored positions of a group (absent: never folded). */
  positions(group: string, topic: string, db: Pool | PoolClient = this.pool): Promise<Map<number, bigint>> {
    return storedPositions(db, group, topic);
  }

  /**
   * The swap. `catchUp` must fold the rebuild to exactly the positions it is given (the live
   * ones, held still meanwhile) and resolve; if afterwards the rebuild's positions differ from
   * them, nothing is swapped.
   */
  async swap(
    live: { group: string; topic: string },
    rebuildGroup: string,
    catchUp: (targets: Map<number, bigint>) => Promise<void>,
  ): Promise<SwapReport> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '60s'`);
      // EXCLUSIVE: readers go on; every live batch's projection statement waits here.
      await client.query(`LOCK TABLE ${SWAPPED.map(([l]) => l).join(', ')} IN EXCLUSIVE MODE`);
      const positions = await this.positions(live.group, live.topic, client);
      await catchUp(positions);
      const rebuilt = await this.positions(rebuildGroup, live.topic, client);
      for (const p of new Set([...positions.keys(), ...rebuilt.keys()])) {
        const want = positions.get(p) ?? 0n;
        const got = rebuilt.get(p) ?? 0n;
        if (want !== got) throw new Error(`partition ${p}: rebuilt to ${got}, live at ${want}; nothing swapped`);
      }
      const differences: Record<string, number> = {};
      for (const [l, fresh] of SWAPPED) {
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ((TABLE ${l} EXCEPT ALL TABLE ${fresh}) UNION ALL (TABLE ${fresh} EXCEPT ALL TABLE ${l})) d`,
        );
        differences[l] = Number(rows[0]!.n);
      }
      for (const [l, fresh] of SWAPPED) {
        await client.query(`ALTER TABLE ${l} RENAME TO ${l}_replaced`);
        await client.query(`ALTER INDEX ${l}_pkey RENAME TO ${l}_replaced_pkey`);
        await client.query(`ALTER TABLE ${fresh} RENAME TO ${l}`);
        await client.query(`ALTER INDEX ${fresh}_pkey RENAME TO ${l}_pkey`);
      }
      await client.query('COMMIT');
      return { positions, differences };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** Drops what the rebuild leaves behind (the replaced tables, the scratch keys, its positions). */
  async cleanup(rebuildGroup: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await this.dropRebuildTables(client);
      await client.query('DELETE FROM consumer_offsets WHERE consumer_group = $1', [rebuildGroup]);
    } finally {
      client.release();
    }
  }

  private async dropRebuildTables(client: PoolClient): Promise<void> {
    for (const [l, fresh] of SWAPPED) await client.query(`DROP TABLE IF EXISTS ${fresh}, ${l}_replaced`);
    await client.query(`DROP TABLE IF EXISTS ${REBUILD_TABLES.seen}`);
  }
}
