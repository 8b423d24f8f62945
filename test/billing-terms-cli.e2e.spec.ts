import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { asServiceRole } from '@metering/db';
import { periodBounds, periodOf } from '@metering/domain';
import { createTestDatabase, TestDatabase } from './support/database';
import { kafkaBrokers } from './support/urls';

// The built CLI, as `npm run billing` runs it (npm test builds before it runs the tests).
const CLI = join(__dirname, '..', 'dist', 'apps', 'invoicing', 'src', 'cli.js');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** `npm run billing -- price|commit|credit ...` on a database of the test's own, as the services' role. */
describe('the billing CLI, commercial terms', () => {
  let db: TestDatabase;
  const current = periodOf(Date.now());
  const closed = periodOf(periodBounds(periodOf(periodBounds(current).from - 1)).from - 1);
  const nextMonth = periodBounds(current).to;

  const billing = (...args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          DATABASE_URL: asServiceRole(db.url),
          DATABASE_OWNER_URL: db.url,
          KAFKA_BROKERS: kafkaBrokers().join(','),
          METERING_OPERATOR_TOKEN: 'cli-test-operator-token-0123456789',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const count = async (table: string) => (await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO organizations (slug, name) VALUES ('acme', 'Acme')`);
    await db.pool.query(`INSERT INTO period_closes (period, positions, invoices) VALUES ($1, '{}', 0)`, [
      `${closed}-01`,
    ]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('dry-runs a price entry: says what it would set and replace, writes nothing', async () => {
    const r = await billing('price', 'set', 'gpu.runtime/a10', '0.0003', '--from', iso(nextMonth), '--dry-run');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('dry run: would create');
    expect(r.out).toContain('"unit_price": "0.0003"');
    expect(r.out).toContain('"unit_price": "0.000417"'); // the list entry it replaces from then on
    expect(await count('prices')).toBe(21);
    expect(await count('audit_log')).toBe(0);
  });

  it('sets a tiered contract price, then refuses it again as a duplicate, also in a dry run', async () => {
    const tiers = '[{"up_to":"3600","unit_price":"0"},{"up_to":null,"unit_price":"0.000694"}]';
    const args = ['price', 'set', 'gpu.runtime/a10', '--tiers', tiers, '--mode', 'volume', '--from', iso(nextMonth)];
    const r = await billing(...args, '--org', 'acme');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/created the price entry \d+/);
    const { rows } = await db.pool.query(`SELECT org, tier_mode, created_by FROM prices WHERE org = 'acme'`);
    expect(rows).toEqual([{ org: 'acme', tier_mode: 'volume', created_by: 'operator' }]);
    const audit = await db.pool.query(`SELECT actor, action, details->>'via' AS via FROM audit_log`);
    expect(audit.rows).toEqual([{ actor: 'operator', action: 'price.set', via: 'cli' }]);
    for (const dry of [[], ['--dry-run']]) {
      const again = await billing(...args, '--org', 'acme', ...dry);
      expect(again.code).toBe(1);
      expect(again.err).toContain('refused (a duplicate)');
    }
    const list = await billing('price', 'list', '--org', 'acme');
    expect(JSON.parse(list.out)).toHaveLength(1);
  });

  it('names each fault by its path and the closed month in words, and exits 1', async () => {
    const bad = await billing('price', 'set', 'gpu.runtime/h100', '-1', '--from', 'tomorrow', '--org', 'nobody');
    expect(bad.code).toBe(1);
    for (const path of ['sku:', 'unit_price:', 'effective_from:', 'org:']) expect(bad.err).toContain(`  ${path}`);
    const past = await billing('price', 'set', 'ip.dedicated', '0.000001', '--from', iso(periodBounds(closed).from));
    expect(past.code).toBe(1);
    expect(past.err).toContain('refused (a closed month)');
    const usage = await billing('price', 'set');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('price set SKU');
    expect(await count('prices')).toBe(22);
  });

  it('removes a scheduled entry (dry run first), grants credit and sets a commitment', async () => {
    const id = (await db.pool.query(`SELECT id::text FROM prices WHERE org = 'acme'`)).rows[0].id;
    const dry = await billing('price', 'rm', id, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`would remove price entry ${id}`);
    expect(await count('prices')).toBe(22);
    expect((await billing('price', 'rm', id)).code).toBe(0);
    expect(await count('prices')).toBe(21);
    const inForce = await billing(
      'price',
      'rm',
      (await db.pool.query(`SELECT min(id)::text AS id FROM prices`)).rows[0].id,
    );
    expect(inForce.code).toBe(1);
    expect(inForce.err).toContain('refused (in force)');

    const dryGrant = await billing('credit', 'grant', 'acme', '500.00', '--reason', 'outage', '--dry-run');
    expect(dryGrant.code).toBe(0);
    expect(await count('credit_grants')).toBe(0);
    const grant = await billing(
      'credit',
      'grant',
      'acme',
      '500.00',
      '--reason',
      'outage',
      '--expires',
      '2099-01-01T00:00:00Z',
    );
    expect(grant.code).toBe(0);
    const credits = JSON.parse((await billing('credit', 'list', 'acme')).out);
    expect(credits).toEqual([expect.objectContaining({ amount: '500.00', remaining: '500.00', reason: 'outage' })]);

    expect((await billing('commit', 'set', 'acme', '1000.00', '--from', current)).code).toBe(0);
    const closedCommit = await billing('commit', 'set', 'acme', '1000.00', '--from', closed, '--dry-run');
    expect(closedCommit.code).toBe(1);
    expect(closedCommit.err).toContain('refused (a closed month)');
    const unknown = await billing('commit', 'set', 'nobody', '1', '--from', current);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no organization nobody');
    expect(await count('commitments')).toBe(1);
  });
});
