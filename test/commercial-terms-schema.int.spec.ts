import type { Pool } from 'pg';
import { asServiceRole, createPool } from '@metering/db';
import { createTestDatabase, TestDatabase } from './support/database';

const INSUFFICIENT_PRIVILEGE = '42501';
const INTEGRITY_CONSTRAINT_VIOLATION = '23000'; // the append-only triggers
const CHECK_VIOLATION = '23514';
const UNIQUE_VIOLATION = '23505';

async function outcome(pool: Pool, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await pool.query(sql, params);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const TIERS = JSON.stringify([
  { up_to: '3600', unit_price: '0' },
  { up_to: null, unit_price: '0.000694' },
]);

/**
 * Migration 1795300000700 (commercial terms): price entries with ids, contract prices and tiers,
 * commitments, credit grants and their movements; what the database refuses, to the owner and
 * to the services' role (metering_app), whatever the services do.
 */
describe('the commercial terms schema', () => {
  let db: TestDatabase;
  let app: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = createPool(asServiceRole(db.url), { max: 2 });
    // October 2026 closed, with one invoice of acme; a credit note of another invoice of acme.
    await db.pool.query(`INSERT INTO organizations (slug, name) VALUES ('acme', 'Acme'), ('globex', 'Globex')`);
    await db.pool.query(`INSERT INTO period_closes (period, positions, invoices) VALUES ('2026-10-01', '{}', 2)`);
    await db.pool.query(`
      INSERT INTO invoices (number, seq, org, period, currency, issued_at, total, content_hash) VALUES
        ('INV-000001', 1, 'acme', '2026-10-01', 'USD', '2026-11-01T00:00:05Z', 100.00, repeat('a', 64)),
        ('INV-000002', 2, 'globex', '2026-10-01', 'USD', '2026-11-01T00:00:05Z', 10.00, repeat('b', 64))`);
    await db.pool.query(`
      INSERT INTO credit_notes (number, seq, invoice_number, org, currency, issued_at, total, content_hash)
      VALUES ('CN-000003', 3, 'INV-000001', 'acme', 'USD', '2026-11-02T00:00:00Z', -100.00, repeat('c', 64))`);
  });
  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it("keeps today's price book as the first list entries, each with an id", async () => {
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, bool_and(org IS NULL AND tiers IS NULL AND unit_price IS NOT NULL) AS list FROM prices`,
    );
    expect(rows).toEqual([{ n: 21, ids: 21, list: true }]);
  });

  it('takes contract and tiered entries, and refuses a bad rate, a duplicate entry or one off the hour', async () => {
    const insert = (values: string) =>
      outcome(
        app,
        `INSERT INTO prices (sku, unit, org, unit_price, tiers, tier_mode, effective_from, created_by) VALUES ${values}`,
      );
    expect(
      await insert(`('gpu.runtime/a10', 'second', 'acme', 0.0003, NULL, NULL, '2027-01-01T00:00:00Z', 'operator')`),
    ).toBe('ok');
    expect(
      await insert(
        `('gpu.runtime/a10', 'second', NULL, NULL, '${TIERS}', 'graduated', '2027-01-01T00:00:00Z', 'operator')`,
      ),
    ).toBe('ok');
    expect(
      await insert(`('gpu.runtime/a10', 'second', 'acme', 0.0004, NULL, NULL, '2027-01-01T00:00:00Z', 'operator')`),
    ).toBe(UNIQUE_VIOLATION);
    expect(
      await insert(`('gpu.runtime/a10', 'second', NULL, 0.0004, NULL, NULL, '2027-01-01T00:00:00Z', 'operator')`),
    ).toBe(UNIQUE_VIOLATION);
    expect(
      await insert(`('gpu.runtime/a10', 'second', NULL, 0.0004, NULL, NULL, '2027-01-01T00:30:00Z', 'operator')`),
    ).toBe(CHECK_VIOLATION);
    expect(
      await insert(
        `('gpu.runtime/a10', 'second', NULL, 0.0004, '${TIERS}', 'volume', '2027-02-01T00:00:00Z', 'operator')`,
      ),
    ).toBe(CHECK_VIOLATION);
    expect(
      await insert(`('gpu.runtime/a10', 'second', NULL, NULL, '${TIERS}', NULL, '2027-02-01T00:00:00Z', 'operator')`),
    ).toBe(CHECK_VIOLATION);
    expect(
      await insert(
        `('gpu.runtime/a10', 'second', NULL, NULL, '${TIERS}', 'stepped', '2027-02-01T00:00:00Z', 'operator')`,
      ),
    ).toBe(CHECK_VIOLATION);
    for (const tiers of [
      [{ up_to: '100', unit_price: '0' }], // the last must be unbounded
      [
        { up_to: '100', unit_price: '0' },
        { up_to: '100', unit_price: '1' },
        { up_to: null, unit_price: '1' },
      ], // not ascending
      [
        { up_to: '0', unit_price: '0' },
        { up_to: null, unit_price: '1' },
      ], // not positive
      [{ up_to: null, unit_price: '-1' }],
      [{ up_to: null, unit_price: 1 }], // a number, not a decimal string
      [{ up_to: null, unit_price: '0.0000000000001' }], // 13 places
      [],
    ]) {
      expect(
        await insert(
          `('gpu.runtime/a10', 'second', NULL, NULL, '${JSON.stringify(tiers)}', 'volume', '2027-02-01T00:00:00Z', 'operator')`,
        ),
      ).toBe(CHECK_VIOLATION);
    }
    expect(
      await insert(`('gpu.runtime/a10', 'second', 'initech', 0.0003, NULL, NULL, '2027-03-01T00:00:00Z', 'operator')`),
    ).toBe('23503'); // no such organization
  });

  it('refuses an entry inside the closed month, and any change of an entry an invoiced month may have used, also to the owner', async () => {
    expect(
      await outcome(
        app,
        `INSERT INTO prices (sku, unit, org, unit_price, effective_from) VALUES ('ip.dedicated', 'second', 'acme', 0.000001, '2026-10-20T00:00:00Z')`,
      ),
    ).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    const seed = `sku = 'ip.dedicated' AND effective_from = '2020-01-01T00:00:00Z'`;
    expect(await outcome(app, `UPDATE prices SET unit_price = 0 WHERE ${seed}`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(app, `DELETE FROM prices WHERE ${seed}`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(db.pool, `UPDATE prices SET unit_price = 0 WHERE ${seed}`)).toBe(
      INTEGRITY_CONSTRAINT_VIOLATION,
    );
    expect(await outcome(db.pool, `DELETE FROM prices WHERE ${seed}`)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    expect(await outcome(db.pool, `TRUNCATE prices`)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    const { rows } = await db.pool.query(`SELECT id FROM prices WHERE ${seed}`);
    expect(await outcome(app, `SELECT remove_scheduled_price($1)`, [rows[0]!.id])).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
  });

  it('lets the services remove a scheduled entry through remove_scheduled_price, and refuses one in force', async () => {
    const scheduled = await app.query<{ id: string }>(
      `INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ('ip.dedicated', 'second', 0.000002, '2099-01-01T00:00:00Z') RETURNING id`,
    );
    expect((await app.query(`SELECT remove_scheduled_price($1) AS removed`, [scheduled.rows[0]!.id])).rows).toEqual([
      { removed: true },
    ]);
    expect((await app.query(`SELECT remove_scheduled_price($1) AS removed`, [scheduled.rows[0]!.id])).rows).toEqual([
      { removed: false },
    ]);
    // In force (last month, after the closed October) but used by no invoice yet: still refused.
    const inForce = await db.pool.query<{ id: string }>(
      `INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ('ip.dedicated', 'second', 0.000002, date_trunc('hour', now()) - interval '1 hour') RETURNING id`,
    );
    expect(await outcome(app, `SELECT remove_scheduled_price($1)`, [inForce.rows[0]!.id])).toBe(
      INTEGRITY_CONSTRAINT_VIOLATION,
    );
    expect(await outcome(db.pool, `DELETE FROM prices WHERE id = $1`, [inForce.rows[0]!.id])).toBe(
      INTEGRITY_CONSTRAINT_VIOLATION,
    );
  });

  it('keeps commitments append-only and refuses one from a closed month', async () => {
    expect(
      await outcome(
        app,
        `INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('acme', '2026-12-01', 1000.00)`,
      ),
    ).toBe('ok');
    expect(
      await outcome(
        app,
        `INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('acme', '2026-10-01', 1000.00)`,
      ),
    ).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    expect(
      await outcome(
        app,
        `INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('acme', '2026-12-15', 1000.00)`,
      ),
    ).toBe(CHECK_VIOLATION);
    expect(
      await outcome(
        app,
        `INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('acme', '2027-01-01', -1)`,
      ),
    ).toBe(CHECK_VIOLATION);
    expect(await outcome(app, `UPDATE commitments SET monthly_minimum = 0`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(app, `DELETE FROM commitments`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(db.pool, `UPDATE commitments SET monthly_minimum = 0`)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    expect(await outcome(db.pool, `DELETE FROM commitments`)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
  });

  it('keeps credit movements append-only and within their grant: applied on a close, returned once on the void, never more than remains', async () => {
    const grant = await app.query<{ id: string }>(
      `INSERT INTO credit_grants (org, amount, reason, expires_at) VALUES ('acme', 500.00, 'outage 2026-11-14', '2027-06-30T00:00:00Z') RETURNING id`,
    );
    const id = grant.rows[0]!.id;
    const move = (kind: string, amount: string, invoice: string, creditNote: string | null) =>
      outcome(
        app,
        `INSERT INTO credit_movements (grant_id, kind, amount, invoice_number, credit_note_number) VALUES ($1, $2, $3, $4, $5)`,
        [id, kind, amount, invoice, creditNote],
      );
    const remaining = async () =>
      (await app.query(`SELECT remaining::text FROM credit_balances WHERE id = $1`, [id])).rows[0]!.remaining;

    expect(await move('applied', '600.00', 'INV-000001', null)).toBe(CHECK_VIOLATION); // more than the grant
    expect(await move('applied', '100.00', 'INV-000002', null)).toBe(INTEGRITY_CONSTRAINT_VIOLATION); // another organization's invoice
    expect(await move('applied', '100.00', 'INV-000001', null)).toBe('ok');
    expect(await remaining()).toBe('400.00');
    expect(await move('applied', '50.00', 'INV-000001', null)).toBe(UNIQUE_VIOLATION); // one application per invoice
    expect(await move('returned', '40.00', 'INV-000001', 'CN-000003')).toBe(CHECK_VIOLATION); // not what was applied
    expect(await move('returned', '100.00', 'INV-000001', null)).toBe(INTEGRITY_CONSTRAINT_VIOLATION); // a return names its credit note (the trigger asks before the CHECK)
    expect(await move('returned', '100.00', 'INV-000001', 'CN-000003')).toBe('ok');
    expect(await remaining()).toBe('500.00');
    expect(await move('returned', '100.00', 'INV-000001', 'CN-000003')).toBe(UNIQUE_VIOLATION);

    for (const sql of [
      `UPDATE credit_movements SET amount = 1`,
      `DELETE FROM credit_movements`,
      `UPDATE credit_grants SET amount = 1`,
      `DELETE FROM credit_grants`,
    ]) {
      expect(await outcome(app, sql)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await outcome(db.pool, sql)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    }
    expect(await outcome(db.pool, `TRUNCATE credit_movements`)).toBe(INTEGRITY_CONSTRAINT_VIOLATION);
    expect(await outcome(app, `INSERT INTO credit_grants (org, amount, reason) VALUES ('acme', 0, 'nothing')`)).toBe(
      CHECK_VIOLATION,
    );
  });

  it('takes minimum and credit lines on an invoice, money only', async () => {
    const line = (no: number, kind: string, sku: string | null, quantity: string | null) =>
      outcome(
        db.pool,
        `INSERT INTO invoice_lines (invoice_number, line_no, kind, sku, usage_period, quantity, unit, unit_price, amount, description)
         VALUES ('INV-000002', $1, $2, $3, '2026-10-01', $4, $5, $6, -5.00, 'line')`,
        [no, kind, sku, quantity, sku && 'second', sku && '0.01'],
      );
    expect(await line(1, 'credit', null, null)).toBe('ok');
    expect(await line(2, 'minimum', null, null)).toBe('ok');
    expect(await line(3, 'credit', 'ip.dedicated', '1')).toBe(CHECK_VIOLATION);
    expect(await line(4, 'usage', null, null)).toBe(CHECK_VIOLATION);
    expect(await line(5, 'discount', null, null)).toBe(CHECK_VIOLATION);
  });
});
