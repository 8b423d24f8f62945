import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, RunningServices, startServices } from './support/services';

/** Per-token rate limits: a runaway host or reader gets 429 with Retry-After; others are unaffected. */
describe('rate limits per token', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    svc = await startServices(
      testConfig(db.url, topics, {
        rateLimits: { ingest: { perSecond: 1, burst: 3 }, read: { perSecond: 1, burst: 3 } },
      }),
    );
    await call(`${svc.api}/v1/orgs`, { token: op, body: { slug: 'acme', name: 'Acme' } });
    for (const name of ['h1', 'h2'])
      tokens[name] = (await call(`${svc.api}/v1/hosts`, { token: op, body: { name } })).body.token;
    for (const email of ['a@acme.test', 'b@acme.test']) {
      await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email, role: 'viewer' } });
      tokens[email] = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email } })).body.token;
    }
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('lets a reader burst, then answers 429 with Retry-After, while another reader and the operator go on', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call(`${svc.api}/v1/prices`, { token: tokens['a@acme.test'] })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await call(`${svc.api}/v1/prices`, { token: tokens['a@acme.test'] });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body.detail).toMatch(/too many requests/);
    expect((await call(`${svc.api}/v1/prices`, { token: tokens['b@acme.test'] })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(`${svc.api}/v1/prices`, { token: op })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(`${svc.api}/v1/prices`, { token: tokens['a@acme.test'] })).status).toBe(200);
  });

  it('limits each host on ingest by its own token', async () => {
    const post = (t: string) => call(`${svc.collector}/v1/events`, { token: t, body: [] });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(tokens['h1']!)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect((await post(tokens['h2']!)).status).toBe(202);
  });
});
