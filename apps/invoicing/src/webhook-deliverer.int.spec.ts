import { Registry } from 'prom-client';
import { verifyWebhook } from '@metering/billing';
import { WebhookDeliveryRepository } from '@metering/db';
import { loadConfig, MeteringConfig } from '@metering/service';
import { startReceiver } from '../../../chaos/webhook-receiver';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { WebhookDeliverer } from './webhook-deliverer';

/** The webhook outbox against a real Postgres and a real receiver: racing instances, giving up after 24 h. */
describe('WebhookDeliverer', () => {
  let db: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let status = 200;
  const config: MeteringConfig = {
    ...loadConfig({}),
    alerts: { topic: 'unused', allowHosts: ['127.0.0.1'], retryBaseMs: 10_000 },
  };
  const deliverer = () => {
    const registry = new Registry();
    return { registry, d: new WebhookDeliverer(new WebhookDeliveryRepository(db.pool), config, registry) };
  };
  const fired = async (id: string, createdHoursAgo: number) => {
    await db.pool.query(
      `INSERT INTO alerts (id, org, name, threshold, webhook_url, secret, created_by) VALUES ($1, 'acme', 'a', 1, $2, 'whsec_t', 'test')`,
      [id, `${receiver.url}/${id}`],
    );
    await db.pool.query(`INSERT INTO alert_firings (alert_id, period, amount) VALUES ($1, '2026-12-01', 1)`, [id]);
    await db.pool.query(
      `INSERT INTO webhook_deliveries (id, alert_id, period, url, body, created_at) VALUES ($2, $1, '2026-12-01', $3, $4, now() - $5 * interval '1 hour')`,
      [id, `whd_${id}`, `${receiver.url}/${id}`, JSON.stringify({ delivery_id: `whd_${id}` }), createdHoursAgo],
    );
  };
  const row = async (id: string) =>
    (await db.pool.query('SELECT status, attempts, last_status FROM webhook_deliveries WHERE alert_id = $1', [id]))
      .rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver(() => status);
    await db.pool.query(`INSERT INTO organizations (slug, name) VALUES ('acme', 'Acme')`);
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it('delivers a due row once when two instances race for it, signed with the alert secret', async () => {
    await fired('race', 0);
    const [a, b] = [deliverer(), deliverer()];
    const counts = await Promise.all([a.d.deliverDue(), b.d.deliverDue()]);
    expect(counts.sort()).toEqual([0, 1]);
    const hits = receiver.received.filter((h) => h.path === '/race');
    expect(hits).toHaveLength(1);
    expect(verifyWebhook('whsec_t', hits[0]!.body, hits[0]!.signature, Date.now() / 1000)).toBe(true);
    expect(await row('race')).toEqual({ status: 'delivered', attempts: 1, last_status: 200 });
  });

  it('keeps a failed attempt pending with a later retry, and marks failed one whose retry would pass 24 h', async () => {
    status = 500;
    await fired('young', 1);
    await fired('old', 24.01);
    const { d, registry } = deliverer();
    await d.deliverDue();
    expect(await row('young')).toEqual({ status: 'pending', attempts: 1, last_status: 500 });
    expect(await row('old')).toEqual({ status: 'failed', attempts: 1, last_status: 500 });
    const metric = await registry.getSingleMetric('alert_webhook_deliveries_total')!.get();
    expect(Object.fromEntries(metric.values.map((v) => [v.labels['outcome'], v.value]))).toEqual({
      retry: 1,
      failed: 1,
    });
    // Not due again until its wait is over.
    await d.deliverDue();
    expect(receiver.received.filter((h) => h.path === '/young')).toHaveLength(1);
  });
});
