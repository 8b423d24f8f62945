import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { asOperatorOrg, parsePeriod } from '@metering/domain';
import { Terms } from '@metering/billing';
import { BillingRepository } from './billing.repository';
import { TermsRepository } from './terms.repository';

describe('BillingRepository.billableUsageAllOrgs (real Postgres)', () => {
  let db: TestDatabase;
  let billing: BillingRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    billing = new BillingRepository(db.pool);
    // 10 hours of an A10 on either side of a price change at 2026-10-15T12:00Z, and an IP all month.
    await db.pool.query(
      `INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ('gpu.runtime/a10', 'second', 0.0005, '2026-10-15T12:00:00Z')`,
    );
    await db.pool.query(`
      INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
      SELECT 'acme', h, 'gpu.runtime/a10', 'ml', 'ord', 3600, 1
        FROM generate_series('2026-10-15T02:00:00Z'::timestamptz, '2026-10-15T21:00:00Z', '1 hour') h`);
    await db.pool.query(`INSERT INTO usage_monthly (period, org, sku, quantity, events) VALUES
      ('2026-10-01', 'acme', 'gpu.runtime/a10', 72000, 20), ('2026-10-01', 'acme', 'ip.dedicated', 2678400, 744)`);
  });
  afterAll(() => db.drop());

  it('given a price change inside the month, then the SKU is read per span from the hourly rows, others from the rollup', async () => {
    const terms = new Terms(await new TermsRepository(db.pool).snapshotAllOrgs());
    const billable = await billing.billableUsageAllOrgs(db.pool, parsePeriod('2026-10')!, terms);
    const rows = billable
      .get(asOperatorOrg('acme'))!
      .usage.map((u) => [u.sku, new Date(u.hour).toISOString(), u.quantity])
      .sort();
    expect(rows).toEqual([
      ['gpu.runtime/a10', '2026-10-01T00:00:00.000Z', '36000'],
      ['gpu.runtime/a10', '2026-10-15T12:00:00.000Z', '36000'],
      ['ip.dedicated', '2026-10-01T00:00:00.000Z', '2678400'],
    ]);
  });

  it('given a contract price of one organization starting inside the month, then only its usage of that SKU is cut there', async () => {
    await db.pool.query(`INSERT INTO organizations (slug, name) VALUES ('globex', 'Globex') ON CONFLICT DO NOTHING`);
    await db.pool.query(
      `INSERT INTO prices (sku, unit, unit_price, effective_from, org) VALUES ('ip.dedicated', 'second', 0.0000005, '2026-10-20T00:00:00Z', 'globex')`,
    );
    await db.pool.query(`
      INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
      SELECT o, h, 'ip.dedicated', '', 'ord', 3600, 1
        FROM unnest(ARRAY['acme', 'globex']) o, generate_series('2026-10-19T22:00:00Z'::timestamptz, '2026-10-20T01:00:00Z', '1 hour') h`);
    await db.pool.query(`INSERT INTO usage_monthly (period, org, sku, quantity, events) VALUES
      ('2026-10-01', 'globex', 'ip.dedicated', 14400, 4)`);
    const terms = new Terms(await new TermsRepository(db.pool).snapshotAllOrgs());
    const billable = await billing.billableUsageAllOrgs(db.pool, parsePeriod('2026-10')!, terms);
    const ip = (slug: string) =>
      billable
        .get(asOperatorOrg(slug))!
        .usage.filter((u) => u.sku === 'ip.dedicated')
        .map((u) => [new Date(u.hour).toISOString(), u.quantity]);
    expect(ip('acme')).toEqual([['2026-10-01T00:00:00.000Z', '2678400']]);
    expect(ip('globex').sort()).toEqual([
      ['2026-10-01T00:00:00.000Z', '7200'],
      ['2026-10-20T00:00:00.000Z', '7200'],
    ]);
  });
});
