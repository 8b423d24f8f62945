import type { MeteringConfig } from '@metering/service';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, foldedToEnd, RunningServices, seedHost, startServices } from './support/services';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** App labels and reads grouped and filtered by them, over the real pipeline. */
describe('cost allocation by label', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  let admin: string;
  let viewer: string;
  let otherAdmin: string;
  const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  const range = `from=${iso(hour)}&to=${iso(hour + HOUR)}`;
  const read = (what: 'usage' | 'costs', q: string) =>
    call(`${svc.api}/v1/orgs/acme/${what}?${range}&${q}`, { token: viewer });
  const label = (app: string, body: unknown, token = admin, org = 'acme') =>
    call(`${svc.api}/v1/orgs/${org}/apps/${app}/labels`, { token, body, method: 'PUT' });
  const member = async (org: string, email: string, role: string) => {
    await call(`${svc.api}/v1/orgs/${org}/members`, { token: op, body: { email, role } });
    return (await call(`${svc.api}/v1/orgs/${org}/tokens`, { token: op, body: { email } })).body.token as string;
  };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    const host = await seedHost(svc.api, op, ['acme', 'globex']);
    admin = await member('acme', 'ada@acme.test', 'admin');
    viewer = await member('acme', 'vic@acme.test', 'viewer');
    otherAdmin = await member('globex', 'gus@globex.test', 'admin');
    let n = 0;
    const usage = (org: string, app: string, quantity: number) => ({
      specversion: '1.0',
      id: `ev-${++n}`,
      source: 'host/ord-1',
      type: 'machine.runtime',
      time: iso(hour + 30 * 60_000),
      data: { org, app, region: 'ord', resource: `m_${n}`, size: 'shared-cpu-1x', quantity },
    });
    const res = await call(`${svc.collector}/v1/events`, {
      token: host.token,
      body: [usage('acme', 'web', 100), usage('acme', 'api', 20), usage('acme', 'batch', 3), usage('globex', 'gx', 1)],
    });
    expect(res.body).toMatchObject({ accepted: 4, rejected: [] });
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('sets an app’s labels (admin only, audited) and lists the apps with theirs', async () => {
    const set = await label('web', { team: 'payments', env: 'prod' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ app: 'web', labels: { env: 'prod', team: 'payments' } });
    expect((await label('api', { team: 'search' })).status).toBe(200);
    expect((await label('batch', { team: 'x' }, viewer)).status).toBe(403);
    const apps = await call(`${svc.api}/v1/orgs/acme/apps`, { token: viewer });
    expect(apps.body).toEqual([
      { app: 'api', labels: { team: 'search' } },
      { app: 'batch', labels: {} },
      { app: 'web', labels: { env: 'prod', team: 'payments' } },
    ]);
    const audited = await db.pool.query(`SELECT actor, subject FROM audit_log WHERE action = 'labels.set' ORDER BY id`);
    expect(audited.rows).toEqual([
      { actor: 'member:ada@acme.test', subject: 'web' },
      { actor: 'member:ada@acme.test', subject: 'api' },
    ]);
  });

  it('refuses bad labels with the path of each, unknown apps and other organizations’ apps with 404', async () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect((await label('web', eleven)).body.errors).toEqual([{ path: '', message: 'at most 10 labels' }]);
    const bad = await label('web', { Team: 'a', team: '', env: 'x'.repeat(65), cost_center: 'a\u0007b', ok: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'Team',
      'cost_center',
      'env',
      'ok',
      'team',
    ]);
    expect((await label('web', ['team'])).status).toBe(400);
    expect((await label('nope', { team: 'a' })).status).toBe(404);
    expect((await label('gx', { team: 'a' })).status).toBe(404); // globex's app, asked of acme
    expect((await label('web', { team: 'a' }, otherAdmin)).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/acme/apps`, { token: otherAdmin })).status).toBe(404);
  });

  it('groups and filters usage by a label, "" for apps without it, in JSON and CSV', async () => {
    const res = await read('usage', 'group_by=label:team');
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: Record<string, string>) => [r['label:team'], r['quantity']])).toEqual([
      ['', '3'],
      ['payments', '100'],
      ['search', '20'],
    ]);
    const filtered = await read('usage', 'group_by=app,label:env&label:team=payments&label:team=search');
    expect(filtered.body.rows.map((r: Record<string, string>) => [r['app'], r['label:env'], r['quantity']])).toEqual([
      ['api', '', '20'],
      ['web', 'prod', '100'],
    ]);
    const csv = await read('usage', 'group_by=label:team&format=csv');
    expect(csv.body.split('\n')[0]).toBe('start,end,label:team,sku,unit,quantity,events');
    expect(csv.body).toContain(',payments,machine.runtime/shared-cpu-1x,second,100,1');
    expect((await read('usage', 'group_by=label:Team')).body.errors).toEqual([
      { path: 'group_by', message: expect.any(String) },
    ]);
    expect((await read('usage', 'label:9=a')).body.errors).toEqual([{ path: 'label:9', message: expect.any(String) }]);
  });

  it('prices cost by label, and a relabel applies to past usage at once', async () => {
    const costs = await read('costs', 'granularity=total&group_by=label:team');
    expect(costs.status).toBe(200);
    expect(costs.body.rows.map((r: Record<string, string>) => r['label:team'])).toEqual(['', 'payments', 'search']);
    const only = await read('costs', 'granularity=total&label:team=payments&group_by=sku');
    expect(only.body.rows.map((r: Record<string, string>) => r['quantity'])).toEqual(['100']);
    expect((await label('api', { team: 'payments' })).status).toBe(200);
    const after = await read('costs', 'granularity=total&group_by=label:team&format=csv');
    expect(
      after.body
        .split('\n')
        .slice(1, 3)
        .map((l: string) => l.split(',')[2]),
    ).toEqual(['', 'payments']);
    const usage = await read('usage', 'group_by=label:team&label:team=payments');
    expect(usage.body.rows.map((r: Record<string, string>) => r['quantity'])).toEqual(['120']);
  });
});
