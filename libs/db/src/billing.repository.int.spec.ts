import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { asOperatorOrg, parsePeriod } from '@metering/domain';
import { BillingRepository } from './billing.repository';

describe('BillingRepository.projectedAllOrgs (real Postgres)', () => {
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

  it('given a price change inside the month, then the SKU is priced per span from the hourly rows, others from the rollup', async () => {
    const byOrg = await billing.projectedAllOrgs(db.pool, parsePeriod('2026-10')!, await billing.priceBook());
    const rows = byOrg
      .get(asOperatorOrg('acme'))!
      .map((u) => [u.sku, u.unitPrice, u.quantity])
      .sort();
    expect(rows).toEqual([
      ['gpu.runtime/a10', '0.000417', '36000'],
      ['gpu.runtime/a10', '0.0005', '36000'],
      ['ip.dedicated', '0.000000771605', '2678400'],
    ]);
  });
});
