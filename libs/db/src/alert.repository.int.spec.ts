import { asOperatorOrg, parsePeriod } from '@metering/domain';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { AlertRepository } from './alert.repository';
import { CostRepository } from './cost.repository';
import { OutboxRepository } from './outbox.repository';
import { TermsRepository } from './terms.repository';

/** Firing against a real Postgres: once per alert and month, however many evaluators race. */
describe('AlertRepository.fire', () => {
  let db: TestDatabase;
  let alerts: AlertRepository;
  const org = asOperatorOrg('acme');
  const period = parsePeriod('2026-12')!;

  beforeAll(async () => {
    db = await createTestDatabase();
    const terms = new TermsRepository(db.pool);
    alerts = new AlertRepository(db.pool, new CostRepository(db.pool, terms), terms, new OutboxRepository(db.pool));
    await db.pool.query(`INSERT INTO organizations (slug, name) VALUES ('acme', 'Acme')`);
  });
  afterAll(() => db.drop());

  const firing = (alertId: string, n: number) => ({
    alertId,
    period,
    amount: '1.5',
    triggeredAt: Date.now(),
    message: { topic: 'billing.alerts.v1', key: 'acme', value: Buffer.from([n]), headers: {} },
    delivery: { id: `whd_${alertId}_${n}`, url: 'https://hooks.example/', body: `{"n":${n}}` },
  });

  it('lets one of eight racing firings through, with one outbox row and one delivery', async () => {
    const { alert } = await alerts.create(
      org,
      { name: 'x', threshold: '1', app: null, skuPrefix: null, webhookUrl: 'https://hooks.example/' },
      'test',
    );
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => alerts.fire(firing(alert.id, n))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const count = async (sql: string) => Number((await db.pool.query<{ n: string }>(sql)).rows[0]!.n);
    expect(await count(`SELECT count(*) AS n FROM alert_firings`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE topic = 'billing.alerts.v1'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM webhook_deliveries`)).toBe(1);
    expect(await alerts.unfired(['acme'], period)).toEqual([]);
    expect((await alerts.get(org, alert.id))?.last_fired_period).toBe('2026-12');
  });

  it('fires nothing for a removed alert', async () => {
    const { alert } = await alerts.create(
      org,
      { name: 'y', threshold: '1', app: null, skuPrefix: null, webhookUrl: null },
      'test',
    );
    expect(await alerts.remove(org, alert.id, 'test')).toBe(true);
    expect(await alerts.fire({ ...firing(alert.id, 0), delivery: null })).toBe(false);
  });
});
