import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, RunningServices, startServices } from './support/services';

type Who = 'none' | 'garbage' | 'host' | 'viewer' | 'billing' | 'admin' | 'otherAdmin' | 'operator';
const WHO: Who[] = ['none', 'garbage', 'host', 'viewer', 'billing', 'admin', 'otherAdmin', 'operator'];

// Expected status per caller, by the kind of rule a route declares.
const OPERATOR = (ok: number) => ({
  none: 401,
  garbage: 401,
  host: 403,
  viewer: 403,
  billing: 403,
  admin: 403,
  otherAdmin: 403,
  operator: ok,
});
const ORG = (role: 'viewer' | 'billing' | 'admin', ok: number, okOperator = ok) => ({
  none: 401,
  garbage: 401,
  host: 403,
  viewer: role === 'viewer' ? ok : 403,
  billing: role === 'admin' ? 403 : ok,
  admin: ok,
  otherAdmin: 404, // another organization's resources do not exist for you
  operator: okOperator,
});
const SIGNED_IN = (ok: number) => ({
  none: 401,
  garbage: 401,
  host: 403,
  viewer: ok,
  billing: ok,
  admin: ok,
  otherAdmin: ok,
  operator: ok,
});
const HOST = (ok: number) => ({
  none: 401,
  garbage: 401,
  host: ok,
  viewer: 403,
  billing: 403,
  admin: 403,
  otherAdmin: 403,
  operator: 403,
});
const PUBLIC = (ok: number) => Object.fromEntries(WHO.map((w) => [w, ok])) as Record<Who, number>;

interface Route {
  service: keyof Omit<RunningServices, 'close' | 'apps'>;
  method: string;
  path: string;
  body?: () => unknown;
  expect: Record<Who, number>;
}

let n = 0;
const q = 'from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z';
const ROUTES: Route[] = [
  {
    service: 'api',
    method: 'POST',
    path: '/v1/orgs',
    body: () => ({ slug: `new-${++n}`, name: 'New' }),
    expect: OPERATOR(201),
  },
  { service: 'api', method: 'POST', path: '/v1/hosts', body: () => ({ name: 'h' }), expect: OPERATOR(201) },
  { service: 'api', method: 'DELETE', path: '/v1/hosts/h_nope', expect: OPERATOR(404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme', expect: ORG('viewer', 200) },
  { service: 'api', method: 'GET', path: `/v1/orgs/acme/usage?${q}`, expect: ORG('viewer', 200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/usage/current', expect: ORG('viewer', 200) },
  {
    service: 'api',
    method: 'GET',
    path: `/v1/orgs/acme/costs?${q}&group_by=resource&order=amount&limit=20`,
    expect: ORG('viewer', 200),
  },
  { service: 'api', method: 'GET', path: `/v1/orgs/acme/resources?${q}`, expect: ORG('viewer', 200) },
  { service: 'api', method: 'GET', path: `/v1/orgs/acme/resources/m_nope?${q}`, expect: ORG('viewer', 404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/invoices', expect: ORG('billing', 200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/invoices/INV-000001', expect: ORG('billing', 404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/credit-notes', expect: ORG('billing', 200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/credit-notes/CN-000001', expect: ORG('billing', 404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/members', expect: ORG('admin', 200) },
  {
    service: 'api',
    method: 'POST',
    path: '/v1/orgs/acme/members',
    body: () => ({ email: 'new@acme.test', role: 'viewer' }),
    expect: ORG('admin', 201),
  },
  { service: 'api', method: 'DELETE', path: '/v1/orgs/acme/members/nobody@acme.test', expect: ORG('admin', 404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/tokens', expect: ORG('admin', 200) },
  {
    service: 'api',
    method: 'POST',
    path: '/v1/orgs/acme/tokens',
    body: () => ({ email: 'new@acme.test', name: 'n' }),
    expect: ORG('admin', 201),
  },
  { service: 'api', method: 'DELETE', path: '/v1/orgs/acme/tokens/tok_nope', expect: ORG('admin', 404) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/audit', expect: ORG('admin', 200) },
  { service: 'api', method: 'GET', path: '/v1/prices', expect: SIGNED_IN(200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/prices', expect: ORG('viewer', 200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/credits', expect: ORG('billing', 200) },
  { service: 'api', method: 'GET', path: '/v1/orgs/acme/alerts', expect: ORG('billing', 200) },
  { service: 'api', method: 'POST', path: '/v1/orgs/acme/alerts', body: () => ({}), expect: ORG('billing', 400) },
  { service: 'api', method: 'GET', path: '/v1/whoami', expect: SIGNED_IN(200) },
  { service: 'api', method: 'GET', path: '/v1/catalog', expect: SIGNED_IN(200) },
  { service: 'collector', method: 'POST', path: '/v1/events', body: () => [], expect: HOST(202) },
  { service: 'invoicing', method: 'POST', path: '/v1/billing/periods/2999-01/close', expect: OPERATOR(409) },
  { service: 'invoicing', method: 'POST', path: '/v1/billing/invoices/INV-000001/void', expect: OPERATOR(404) },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/invoices/INV-000001', expect: OPERATOR(404) },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/preview?org=acme&period=2026-11', expect: OPERATOR(200) },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/reconcile', expect: OPERATOR(200) },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/prices', expect: OPERATOR(200) },
  { service: 'invoicing', method: 'POST', path: '/v1/billing/prices', body: () => ({}), expect: OPERATOR(400) },
  { service: 'invoicing', method: 'DELETE', path: '/v1/billing/prices/999999', expect: OPERATOR(404) },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/orgs/acme/commitments', expect: OPERATOR(200) },
  {
    service: 'invoicing',
    method: 'POST',
    path: '/v1/billing/orgs/acme/commitments',
    body: () => ({}),
    expect: OPERATOR(400),
  },
  { service: 'invoicing', method: 'GET', path: '/v1/billing/orgs/acme/credits', expect: OPERATOR(200) },
  {
    service: 'invoicing',
    method: 'POST',
    path: '/v1/billing/orgs/acme/credits',
    body: () => ({}),
    expect: OPERATOR(400),
  },
  { service: 'api', method: 'GET', path: '/docs-json', expect: PUBLIC(200) },
  { service: 'api', method: 'GET', path: '/docs', expect: PUBLIC(200) },
  { service: 'api', method: 'GET', path: '/', expect: PUBLIC(200) },
  { service: 'api', method: 'GET', path: '/vendor/chartjs/chart.umd.min.js', expect: PUBLIC(200) },
  ...(['api', 'collector', 'invoicing', 'aggregator'] as const).flatMap((service) =>
    ['/health/live', '/health/ready', '/metrics'].map((path): Route => ({
      service,
      method: 'GET',
      path,
      expect: PUBLIC(200),
    })),
  ),
];

describe('authorization matrix: every endpoint × every kind of caller', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let svc: RunningServices;
  const tokens: Partial<Record<Who, string>> = { garbage: 'mm_not-a-real-token', operator: TEST_OPERATOR_TOKEN };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    svc = await startServices(testConfig(db.url, topics));
    const op = TEST_OPERATOR_TOKEN;
    for (const slug of ['acme', 'globex']) await call(`${svc.api}/v1/orgs`, { token: op, body: { slug, name: slug } });
    tokens.host = (await call(`${svc.api}/v1/hosts`, { token: op, body: { name: 'h1' } })).body.token;
    for (const [who, org, role] of [
      ['viewer', 'acme', 'viewer'],
      ['billing', 'acme', 'billing'],
      ['admin', 'acme', 'admin'],
      ['otherAdmin', 'globex', 'admin'],
    ] as const) {
      await call(`${svc.api}/v1/orgs/${org}/members`, { token: op, body: { email: `${who}@${org}.test`, role } });
      tokens[who] = (
        await call(`${svc.api}/v1/orgs/${org}/tokens`, { token: op, body: { email: `${who}@${org}.test` } })
      ).body.token;
    }
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('describes every API route in the OpenAPI document served at /docs-json', async () => {
    const doc = (await call(`${svc.api}/docs-json`)).body as { paths: Record<string, unknown> };
    const apiPaths = ROUTES.filter((r) => r.service === 'api' && r.path.startsWith('/v1/')).map((r) =>
      r.path
        .split('?')[0]!
        .replace('/acme', '/{org}')
        .replace(/\/m_nope$/, '/{resource}')
        .replace(
          /\/(h_nope|INV-000001|CN-000001|tok_nope|nobody@acme.test)$/,
          (m) =>
            `/{${m === '/h_nope' ? 'host' : m.startsWith('/INV') || m.startsWith('/CN') ? 'number' : m === '/tok_nope' ? 'id' : 'email'}}`,
        ),
    );
    for (const path of apiPaths) expect(Object.keys(doc.paths)).toContain(path);
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.service}${r.path}`, r] as const))('%s', async (_, route) => {
    const got: Record<string, number> = {};
    for (const who of WHO) {
      const body = route.body?.();
      const res = await call(`${svc[route.service]}${route.path}`, {
        method: route.method,
        ...(tokens[who] ? { token: tokens[who] } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      got[who] = res.status;
    }
    expect(got).toEqual(route.expect);
  });
});
