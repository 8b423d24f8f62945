import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, foldedToEnd, RunningServices, startServices } from './support/services';
import type { MeteringConfig } from '@metering/service';

/**
 * The slice, for real: a host posts a batch over HTTP, the collector produces it to Kafka,
 * the aggregator folds it into Postgres exactly once, and the API answers the sums.
 */
describe('one batch, end to end', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  let hostToken: string;
  let hostId: string;
  let viewerToken: string;

  const hour = new Date();
  hour.setUTCMinutes(0, 0, 0);
  hour.setTime(hour.getTime() - 2 * 3_600_000);
  const at = (min: number) => new Date(hour.getTime() + min * 60_000).toISOString();
  const event = (id: string, type: string, org: string, data: Record<string, unknown>, min = 10) => ({
    specversion: '1.0',
    id,
    source: 'host/ord-7f2a',
    type,
    time: at(min),
    data: { org, region: 'ord', resource: 'm_1', app: 'web', ...data },
  });
  const batch = [
    event('e1', 'machine.runtime', 'acme', { size: 'shared-cpu-1x', quantity: 60 }),
    event('e2', 'machine.runtime', 'acme', { size: 'shared-cpu-1x', quantity: 60 }, 20),
    event('e3', 'network.egress', 'acme', { quantity: 1_000_000 }),
    event('e4', 'volume.storage', 'acme', { quantity: 0.1, region: 'fra', app: '' }),
    event('e5', 'volume.storage', 'acme', { quantity: 0.2, region: 'fra', app: '' }),
    event('g1', 'machine.runtime', 'globex', { size: 'performance-2x', quantity: 3600 }),
    event('bad', 'machine.runtime', 'acme', { size: 'shared-cpu-1x', quantity: 60, region: 'atlantis' }),
    event('e1', 'machine.runtime', 'acme', { size: 'shared-cpu-1x', quantity: 60 }), // re-sent inside the batch
  ];

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    expect((await call(`${svc.api}/v1/orgs`, { token: op, body: { slug: 'acme', name: 'Acme Corp' } })).status).toBe(
      201,
    );
    expect((await call(`${svc.api}/v1/orgs`, { token: op, body: { slug: 'globex', name: 'Globex' } })).status).toBe(
      201,
    );
    const host = await call(`${svc.api}/v1/hosts`, { token: op, body: { name: 'ord-7f2a' } });
    expect(host.status).toBe(201);
    ({ token: hostToken, id: hostId } = host.body);
    expect(
      (await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'ann@acme.test', role: 'viewer' } }))
        .status,
    ).toBe(201);
    const tok = await call(`${svc.api}/v1/orgs/acme/tokens`, {
      token: op,
      body: { email: 'ann@acme.test', name: 'laptop' },
    });
    expect(tok.status).toBe(201);
    expect(tok.body.role).toBe('viewer');
    viewerToken = tok.body.token;
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('accepts the valid events, rejects the invalid one with its reason, in one 202', async () => {
    const res = await call(`${svc.collector}/v1/events`, {
      token: hostToken,
      body: batch,
      contentType: 'application/cloudevents-batch+json',
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      accepted: 7,
      rejected: [
        { index: 6, id: 'bad', errors: [{ path: 'data.region', message: expect.stringContaining('atlantis') }] },
      ],
    });
  });

  it('counts a re-sent batch once, and sums exactly', async () => {
    expect((await call(`${svc.collector}/v1/events`, { token: hostToken, body: batch })).status).toBe(202);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
    const from = new Date(hour.getTime() - 3_600_000).toISOString();
    const to = new Date(hour.getTime() + 2 * 3_600_000).toISOString();
    const res = await call(`${svc.api}/v1/orgs/acme/usage?from=${from}&to=${to}&group_by=region,app`, {
      token: viewerToken,
    });
    expect(res.status).toBe(200);
    const start = hour.toISOString().replace('.000Z', 'Z');
    const end = new Date(hour.getTime() + 3_600_000).toISOString().replace('.000Z', 'Z');
    expect(res.body.rows).toEqual([
      { start, end, region: 'fra', app: '', sku: 'volume.storage', unit: 'gb-second', quantity: '0.3', events: 2 },
      {
        start,
        end,
        region: 'ord',
        app: 'web',
        sku: 'machine.runtime/shared-cpu-1x',
        unit: 'second',
        quantity: '120',
        events: 2,
      },
      { start, end, region: 'ord', app: 'web', sku: 'network.egress/na', unit: 'byte', quantity: '1000000', events: 1 },
    ]);
  });

  it('keeps each organization to itself', async () => {
    const q = `from=${at(-60)}&to=${at(120)}`;
    expect((await call(`${svc.api}/v1/orgs/globex/usage?${q}`, { token: viewerToken })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/nope/usage?${q}`, { token: viewerToken })).status).toBe(404);
    const globex = await call(`${svc.api}/v1/orgs/globex/usage?${q}&granularity=day`, { token: op });
    expect(globex.status).toBe(200);
    expect(globex.body.rows.map((r: { sku: string; quantity: string }) => [r.sku, r.quantity])).toEqual([
      ['machine.runtime/performance-2x', '3600'],
    ]);
  });

  it('answers 401 without a token, 403 for the wrong kind of token, 400 naming a bad parameter', async () => {
    const q = `from=${at(-60)}&to=${at(120)}`;
    expect((await call(`${svc.api}/v1/orgs/acme/usage?${q}`)).status).toBe(401);
    expect((await call(`${svc.api}/v1/orgs/acme/usage?${q}`, { token: 'garbage' })).status).toBe(401);
    expect((await call(`${svc.api}/v1/orgs/acme/usage?${q}`, { token: hostToken })).status).toBe(403);
    expect((await call(`${svc.api}/v1/orgs`, { token: viewerToken, body: { slug: 'x', name: 'x' } })).status).toBe(403);
    expect((await call(`${svc.collector}/v1/events`, { token: viewerToken, body: batch })).status).toBe(403);
    const bad = await call(`${svc.api}/v1/orgs/acme/usage?from=${at(0)}&to=soon`, { token: viewerToken });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors).toEqual([{ path: 'to', message: expect.any(String) }]);
  });

  it('refuses a revoked host at once', async () => {
    expect((await call(`${svc.api}/v1/hosts/${hostId}`, { method: 'DELETE', token: op })).status).toBe(204);
    expect((await call(`${svc.collector}/v1/events`, { token: hostToken, body: batch })).status).toBe(401);
  });

  it('reports health and metrics on every service', async () => {
    for (const base of [svc.collector, svc.aggregator, svc.api, svc.invoicing]) {
      expect((await call(`${base}/health/live`)).status).toBe(200);
      const ready = await call(`${base}/health/ready`);
      expect([base, ready.status]).toEqual([base, 200]);
      const metrics = await call(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('process_resident_memory_bytes');
    }
    expect((await call(`${svc.collector}/metrics`)).body).toMatch(
      /collector_events_accepted_total\{service="collector"\} 14/,
    );
    expect((await call(`${svc.aggregator}/metrics`)).body).toMatch(
      /aggregator_events_folded_total\{service="aggregator"\} 6/,
    );
  });
});
