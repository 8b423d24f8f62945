import type { Pool } from 'pg';
import { foldColumns, FoldInput, UsageColumns } from '@metering/metering';
import type { IssuedDocument } from '@metering/billing';
import {
  asServiceRole,
  createPool,
  DocumentsRepository,
  ProjectionStore,
  schemaAlteringRole,
  SERVICE_ROLE,
  withTransaction,
} from '@metering/db';
import { asOperatorOrg, asValidatedOrg, parsePeriod } from '@metering/domain';
import { createTestDatabase, TestDatabase } from './support/database';

const INSUFFICIENT_PRIVILEGE = '42501';
const INTEGRITY_CONSTRAINT_VIOLATION = '23000'; // refuse_document_change()

/** The SQLSTATE a statement fails with ('ok' when it does not fail). */
async function outcome(pool: Pool, sql: string): Promise<string> {
  try {
    await pool.query(sql);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const OCT = parsePeriod('2026-10')!;

const invoice = (number: string, seq: bigint): IssuedDocument => ({
  number,
  seq,
  org: asOperatorOrg('acme'),
  period: OCT,
  currency: 'USD',
  issued_at: '2026-11-01T00:00:05Z',
  lines: [
    {
      kind: 'usage',
      sku: 'ip.dedicated',
      usage_period: OCT,
      quantity: '2678400',
      unit: 'second',
      unit_price: '0.000000771605',
      amount: '2.07',
      description: 'Dedicated IPv4',
    },
  ],
  total: '2.07',
  content_hash: 'a'.repeat(64),
});

/**
 * What the services' role (metering_app, migration 1795300000500) may and may not do: rows of
 * the tables the services use, yes; anything that changes the schema or gets past the
 * append-only triggers, no. The e2e tests run every service as this role, which proves the
 * grants are enough; this proves they are not more than that.
 */
describe('the services database role', () => {
  let db: TestDatabase;
  let app: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = createPool(asServiceRole(db.url), { max: 2 });
    // An issued invoice, written as the invoicing service writes one.
    const documents = new DocumentsRepository(app);
    await withTransaction(app, async (client) => {
      const seq = await documents.firstFreeNumber(client);
      await documents.takeNumbers(client, seq, 1);
      await documents.recordClose(client, OCT, { group: 'g', topic: 'usage', partitions: {} }, 1, {
        prices: [],
        commitments: [],
        credits: [],
      });
      await documents.insertInvoices(client, [invoice('INV-000001', seq)]);
    });
  });
  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it('connects as metering_app, which is no superuser and owns nothing', async () => {
    const { rows } = await app.query<{ user: string; superuser: boolean; owns: number }>(
      `SELECT current_user AS user, rolsuper AS superuser,
              (SELECT count(*)::int FROM pg_class WHERE relowner = current_user::regrole) AS owns
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(rows).toEqual([{ user: SERVICE_ROLE, superuser: false, owns: 0 }]);
    // The start-up warning names the owner's connection, not the services'.
    expect(await schemaAlteringRole(app)).toBeNull();
    expect(await schemaAlteringRole(db.pool)).toBe('postgres');
  });

  it('cannot alter the schema, disable the triggers or get past them', async () => {
    const refused = {
      'ALTER TABLE invoices ADD COLUMN x int': INSUFFICIENT_PRIVILEGE,
      'ALTER TABLE invoices DISABLE TRIGGER ALL': INSUFFICIENT_PRIVILEGE,
      'ALTER TABLE invoices DISABLE TRIGGER invoices_immutable': INSUFFICIENT_PRIVILEGE,
      'SET session_replication_role = replica': INSUFFICIENT_PRIVILEGE,
      'DROP TABLE invoices': INSUFFICIENT_PRIVILEGE,
      'TRUNCATE invoice_lines': INSUFFICIENT_PRIVILEGE,
      'CREATE TABLE x ()': INSUFFICIENT_PRIVILEGE,
      'DROP FUNCTION refuse_document_change() CASCADE': INSUFFICIENT_PRIVILEGE,
      'CREATE OR REPLACE FUNCTION refuse_document_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$':
        INSUFFICIENT_PRIVILEGE,
      // Row changes are refused by the privileges, before the triggers are asked.
      "UPDATE invoices SET total = 0 WHERE number = 'INV-000001'": INSUFFICIENT_PRIVILEGE,
      "DELETE FROM invoices WHERE number = 'INV-000001'": INSUFFICIENT_PRIVILEGE,
      'UPDATE invoice_lines SET amount = 0': INSUFFICIENT_PRIVILEGE,
      'DELETE FROM period_closes': INSUFFICIENT_PRIVILEGE,
      "UPDATE audit_log SET actor = 'x'": INSUFFICIENT_PRIVILEGE,
      'DELETE FROM prices': INSUFFICIENT_PRIVILEGE,
      'SELECT * FROM pgmigrations': INSUFFICIENT_PRIVILEGE,
    };
    const got: Record<string, string> = {};
    for (const sql of Object.keys(refused)) got[sql] = await outcome(app, sql);
    expect(got).toEqual(refused);
  });

  it('leaves the triggers as the second line: the owner changing an issued invoice is refused by them', async () => {
    expect(await outcome(db.pool, `UPDATE invoices SET total = 0 WHERE number = 'INV-000001'`)).toBe(
      INTEGRITY_CONSTRAINT_VIOLATION,
    );
    expect(await outcome(db.pool, `DELETE FROM invoice_lines WHERE invoice_number = 'INV-000001'`)).toBe(
      INTEGRITY_CONSTRAINT_VIOLATION,
    );
    const { rows } = await app.query(`SELECT number, total::text FROM invoices`);
    expect(rows).toEqual([{ number: 'INV-000001', total: '2.07' }]);
  });

  it('reads and writes what the services do', async () => {
    await app.query(`INSERT INTO organizations (slug, name) VALUES ('globex', 'Globex')`);
    await app.query(`INSERT INTO memberships (org, email, role) VALUES ('globex', 'a@globex.test', 'viewer')`);
    await app.query(`UPDATE memberships SET role = 'admin' WHERE org = 'globex'`);
    await app.query(`INSERT INTO hosts (id, name) VALUES ('h_1', 'ord-1')`);
    await app.query(`UPDATE hosts SET revoked_at = now() WHERE id = 'h_1'`);
    await app.query(
      `INSERT INTO audit_log (org, actor, action, subject) VALUES ('globex', 'operator', 'organization.create', 'globex')`,
    );
    await app.query(
      `INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ('ip.dedicated', 'second', 0.000001, '2027-01-01T00:00:00Z')`,
    );
    await app.query(`INSERT INTO outbox (topic, key, value) VALUES ('billing.invoices.v1', 'acme', '\\x00')`);
    await app.query(`UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL`);
    await app.query(`DELETE FROM memberships WHERE org = 'globex'`);
    await app.query('SELECT analyze_resource_daily()');
    const counts = await app.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM organizations) + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM outbox)
            + (SELECT count(*) FROM invoice_lines) + (SELECT count(*) FROM credit_notes) + (SELECT count(*) FROM usage_resource_daily) AS n`,
    );
    expect(Number(counts.rows[0]!.n)).toBe(4);
  });

  it('folds a batch through the projection store, creating the day partition of seen_events it needs', async () => {
    const partitions = async () =>
      (
        await db.pool.query<{ relname: string; owner: string }>(
          `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'seen_events'::regclass ORDER BY 1`,
        )
      ).rows;
    expect(await partitions()).toEqual([]);
    expect(
      (await app.query<{ n: number }>(`SELECT ensure_seen_partitions('2026-11-20', '2026-11-21') AS n`)).rows[0]!.n,
    ).toBe(2);
    // The function runs as its owner: the partitions are the owner's, and the services reach them through the parent.
    expect(await partitions()).toEqual([
      { relname: 'seen_events_20261120', owner: 'postgres' },
      { relname: 'seen_events_20261121', owner: 'postgres' },
    ]);
    await app.query(`INSERT INTO seen_events (day, key) VALUES ('2026-11-20', gen_random_uuid())`);

    const store = new ProjectionStore(app);
    const time = Date.UTC(2026, 10, 22, 10, 30); // a day with no partition yet: the store creates it
    const events: FoldInput[] = ['1', '2'].map((id) => ({
      id,
      source: 'host/a',
      time,
      org: asValidatedOrg('acme'),
      app: '',
      region: 'ord',
      sku: 'ip.dedicated',
      resource: 'm_1',
      quantity: '5',
    }));
    const columns = UsageColumns.of(events);
    const out = await store.applyBatch(
      { group: 'g', topic: 'usage', partition: 0 },
      { offsets: [0, 1], keys: columns, firstOffset: 0n, nextOffset: 2n },
      (fresh) => foldColumns(columns, fresh),
    );
    expect(out).toMatchObject({ status: 'applied', fresh: 2, nextOffset: 2n });
    expect((await app.query(`SELECT quantity::text, events::text FROM usage_hourly`)).rows).toEqual([
      { quantity: '10', events: '2' },
    ]);
    expect((await app.query(`SELECT count(*)::int AS n FROM seen_events`)).rows).toEqual([{ n: 3 }]);
    expect((await partitions()).map((p) => p.relname)).toContain('seen_events_20261122');

    expect(await store.dropExpiredSeen(Date.UTC(2026, 11, 27), 36)).toBe(1);
    expect((await partitions()).map((p) => p.relname)).toEqual(['seen_events_20261121', 'seen_events_20261122']);
  });
});
