import { verifyWebhook } from '@metering/billing';
import { decodeAlertTriggered, renamed, topicConfig, topicSpec } from '@metering/kafka';
import type { MeteringConfig } from '@metering/service';
import { createTestDatabase, TestDatabase } from './support/database';
import { createAndWait, createTestTopics, readTopic, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, eventually, foldedToEnd, seedHost, startOnly, startServices, RunningServices } from './support/services';
import type { PostedEvent } from './support/small-fleet';
import { startReceiver } from '../chaos/webhook-receiver';

const SHARED = 'machine.runtime/shared-cpu-1x';

/**
 * Spend alerts over the real pipeline: acme pays 0.0001 per second of shared-cpu-1x (so 10,000
 * seconds are $1.00); its alerts fire once per month when the month's estimate reaches them,
 * with one alert.triggered on Kafka and a signed webhook retried until a 2xx.
 */
describe('spend alerts', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let alertsTopic: string;
  let config: MeteringConfig;
  let svc: RunningServices;
  let hostToken: string;
  const tokens: Record<string, string> = {};
  const op = TEST_OPERATOR_TOKEN;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** The aggregator started again by the restart test, in place of the first. */
  let restarted: { close(): Promise<void> } | undefined;
  let n = 0;

  const usage = (app: string, seconds: number): PostedEvent => {
    n++;
    return {
      specversion: '1.0',
      id: `a-${n}`,
      source: 'host/ord-1',
      type: 'machine.runtime',
      time: new Date(
        Math.max(Date.now() - 60_000, Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)),
      ).toISOString(),
      data: { org: 'acme', app, resource: `r_${n}`, region: 'ord', quantity: seconds, size: 'shared-cpu-1x' },
    };
  };
  const post = async (events: PostedEvent[]) => {
    const res = await call(`${svc.collector}/v1/events`, { token: hostToken, body: events });
    expect([res.status, res.body.rejected]).toEqual([202, []]);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 60_000);
  };
  const api = (path: string, opts: { method?: string; body?: unknown; who?: string } = {}) =>
    call(`${svc.api}/v1/orgs/acme/alerts${path}`, { token: tokens[opts.who ?? 'billing'], ...opts });
  const firings = async () =>
    (
      await db.pool.query<{ alert_id: string; n: string }>(
        'SELECT alert_id, count(*) AS n FROM alert_firings GROUP BY 1',
      )
    ).rows;
  const events = async () => (await readTopic(topics.kafka, alertsTopic)).map((r) => decodeAlertTriggered(r.value!));

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    alertsTopic = topics.usage.replace('usage.events.v1', 'billing.alerts.v1');
    const admin = topics.kafka.admin();
    await admin.connect();
    await createAndWait(admin, [topicConfig(renamed(topicSpec('billing.alerts.v1'), alertsTopic))]);
    await admin.disconnect();
    receiver = await startReceiver((path, k) =>
      path === '/flaky' && k === 1 ? 500 : path === '/moved' ? { status: 302, location: '/ok' } : 200,
    );
    config = testConfig(db.url, topics, {
      alerts: { topic: alertsTopic, allowHosts: ['127.0.0.1'], retryBaseMs: 300 },
    });
    svc = await startServices(config);
    hostToken = (await seedHost(svc.api, op, ['acme', 'globex'])).token;
    for (const [who, org, role] of [
      ['billing', 'acme', 'billing'],
      ['viewer', 'acme', 'viewer'],
      ['other', 'globex', 'admin'],
    ] as const) {
      await call(`${svc.api}/v1/orgs/${org}/members`, { token: op, body: { email: `${who}@${org}.test`, role } });
      tokens[who] = (
        await call(`${svc.api}/v1/orgs/${org}/tokens`, { token: op, body: { email: `${who}@${org}.test` } })
      ).body.token;
    }
    await db.pool.query(
      `INSERT INTO prices (sku, org, unit, unit_price, effective_from) VALUES ($1, 'acme', 'second', 0.0001, date_trunc('month', now()))`,
      [SHARED],
    );
    await post([usage('web', 1000), usage('api', 1000)]); // $0.20 so far: the apps are known
  }, 120_000);

  afterAll(async () => {
    if (restarted) {
      const { collector, api, invoicing } = svc.apps;
      await Promise.all([collector.close(), api.close(), invoicing.close(), restarted.close()]);
    } else await svc?.close();
    await receiver?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('refuses bad input with 400 naming each path', async () => {
    const res = await api('', {
      body: {
        name: '',
        threshold: '0',
        app: 'nope',
        sku_prefix: 'gpu.nothing/',
        webhook_url: 'ftp://hooks.example/',
        extra: 1,
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      ['app', 'extra', 'name', 'sku_prefix', 'threshold', 'webhook_url'].sort(),
    );
    for (const threshold of ['-1', '1e3', 250, '0.00', 'ten'])
      expect((await api('', { body: { name: 'x', threshold } })).body.errors).toEqual([
        expect.objectContaining({ path: 'threshold' }),
      ]);
    for (const url of [
      'http://10.1.2.3/h',
      'http://[::1]:80/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/',
      'http://localhost/',
    ]) {
      const r = await api('', { body: { name: 'x', threshold: '1', webhook_url: url } });
      expect([url, r.status, r.body.errors?.[0]?.path]).toEqual([url, 400, 'webhook_url']);
    }
  });

  it('lets only acme billing members see and change acme alerts; others get 404 or 403', async () => {
    const created = await api('', { body: { name: 'probe', threshold: '1000000' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await api(`/${id}`, { who: 'other' })).status).toBe(404);
    expect((await api('', { who: 'other' })).status).toBe(404);
    expect((await api(`/${id}`, { method: 'DELETE', who: 'other' })).status).toBe(404);
    expect((await api('', { who: 'viewer', body: { name: 'x', threshold: '1' } })).status).toBe(403);
    expect((await api(`/${id}`)).body).not.toHaveProperty('secret');
    expect((await api(`/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/${id}`)).status).toBe(404);
    expect((await api(`/${id}`, { method: 'DELETE' })).status).toBe(404);
    const audited = await db.pool.query(`SELECT action FROM audit_log WHERE subject = $1 ORDER BY id`, [id]);
    expect(audited.rows.map((r) => r.action)).toEqual(['alert.create', 'alert.delete']);
  });

  it('fires once when the month crosses the threshold, retries a 500 with the same delivery_id, and not again after a restart', async () => {
    const web = await api('', {
      body: {
        name: 'web budget',
        threshold: '1.00',
        app: 'web',
        sku_prefix: 'machine.runtime/',
        webhook_url: `${receiver.url}/flaky`,
      },
    });
    expect(web.status).toBe(201);
    expect(web.body.secret).toMatch(/^whsec_/);
    const all = await api('', { body: { name: 'all', threshold: '5.00', webhook_url: `${receiver.url}/moved` } });
    expect(all.status).toBe(201);
    await post([usage('web', 6000), usage('api', 20_000)]); // web $0.70, all $2.80
    await new Promise((r) => setTimeout(r, 1500));
    expect(await firings()).toEqual([]);
    const crossedAt = Date.now();
    await post([usage('web', 3000)]); // web $1.00: reached
    const hooks = await eventually(
      async () => (receiver.received.filter((h) => h.path === '/flaky').length >= 2 ? receiver.received : undefined),
      60_000,
      'the webhook and its retry',
    );
    expect(Date.now() - crossedAt).toBeLessThan(60_000);
    const flaky = hooks.filter((h) => h.path === '/flaky');
    expect(flaky.map((h) => h.status)).toEqual([500, 200]);
    const bodies = flaky.map((h) => JSON.parse(h.body));
    expect(bodies[0].delivery_id).toMatch(/^whd_/);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[0]).toEqual({
      delivery_id: bodies[0].delivery_id,
      alert_id: web.body.id,
      org: 'acme',
      name: 'web budget',
      period: new Date().toISOString().slice(0, 7),
      threshold: '1.00',
      amount: '1.00',
      triggered_at: expect.any(String),
    });
    for (const h of flaky) expect(verifyWebhook(web.body.secret, h.body, h.signature, Date.now() / 1000)).toBe(true);
    const listed = await eventually(async () => {
      const l = (await api('')).body.find((a: { id: string }) => a.id === web.body.id);
      return l.last_delivery?.status === 'delivered' ? l : undefined;
    });
    expect(listed).toMatchObject({
      last_fired_period: bodies[0].period,
      last_delivery: { attempts: 2, last_status: 200 },
    });
    expect(await events()).toEqual([
      expect.objectContaining({ type: 'alert.triggered', alert_id: web.body.id, amount: '1.00' }),
    ]);

    // The aggregator restarts; more usage, a sweep: still one firing, one event, one delivery id.
    await svc.apps.aggregator.close();
    restarted = await startOnly(config, ['aggregator']);
    await post([usage('web', 5000)]);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await firings()).filter((f) => f.alert_id === web.body.id)).toEqual([{ alert_id: web.body.id, n: '1' }]);
    expect((await events()).filter((e) => e.alert_id === web.body.id)).toHaveLength(1);
    expect(
      new Set(receiver.received.filter((h) => h.path === '/flaky').map((h) => JSON.parse(h.body).delivery_id)).size,
    ).toBe(1);
  }, 120_000);

  it('does not follow a redirect: the 302 is a failed attempt, retried, and the target is never called', async () => {
    await post([usage('api', 30_000)]); // all: past 5.00
    const moved = await eventually(
      async () => (receiver.received.filter((h) => h.path === '/moved').length >= 2 ? receiver.received : undefined),
      60_000,
      'two attempts at the redirecting receiver',
    );
    expect(moved.filter((h) => h.path === '/ok')).toEqual([]);
    const all = (await api('')).body.find((a: { name: string }) => a.name === 'all');
    expect(all.last_delivery).toMatchObject({ status: 'pending', last_status: 302 });
  }, 90_000);
});
