import { gzipSync } from 'node:zlib';
import { Category, enc, Expectation, HostileCase, KiB, Kit, MiB, nestedArrays, nestedObjects, Service } from './kit';

const API_LIMIT = 100 * 1024; // the API's and invoicing's JSON body limit

/** The API's and invoicing's cases: bodies of the wrong type, shape, encoding and size, and SQL (and worse) in every path and query parameter. */
export function apiCases(k: Kit): void {
  const { ctx, int, add, json } = k;

  // ---------------------------------------------------------------- content types (API, invoicing) ----------
  const apiBody = (
    name: string,
    category: Category,
    service: Service,
    target: string,
    headers: [string, string][],
    body: Buffer | (() => Buffer),
    expect: Expectation,
    extra: Partial<HostileCase> = {},
  ) =>
    add({
      name,
      category,
      service,
      method: 'POST',
      target,
      headers: [['Authorization', `Bearer ${ctx.tokens.operator}`], ...headers],
      body,
      expect,
      ...extra,
    });
  const orgBody = Buffer.from(JSON.stringify({ slug: 'hostile-org', name: 'Hostile' }));
  apiBody('POST /v1/orgs as text/plain', 'content-type', 'api', '/v1/orgs', [['Content-Type', 'text/plain']], orgBody, {
    status: 400,
    detail: /JSON object/,
  });
  apiBody('POST /v1/orgs with no Content-Type', 'content-type', 'api', '/v1/orgs', [], orgBody, {
    status: 400,
    detail: /JSON object/,
  });
  apiBody(
    'POST /v1/orgs as a form',
    'content-type',
    'api',
    '/v1/orgs',
    [['Content-Type', 'application/x-www-form-urlencoded']],
    Buffer.from('slug=hostile-org&name=x'),
    { status: 400 },
  );
  apiBody(
    'POST /v1/orgs as multipart',
    'content-type',
    'api',
    '/v1/orgs',
    [['Content-Type', 'multipart/form-data; boundary=b']],
    Buffer.from('--b\r\nContent-Disposition: form-data; name="slug"\r\n\r\nhostile-org\r\n--b--\r\n'),
    { status: 400 },
  );
  apiBody(
    'POST /v1/orgs in UTF-16',
    'content-type',
    'api',
    '/v1/orgs',
    [['Content-Type', 'application/json; charset=utf-16']],
    Buffer.from(orgBody.toString(), 'utf16le'),
    { status: 415 },
  );
  apiBody(
    'POST /v1/orgs with charset=klingon',
    'content-type',
    'api',
    '/v1/orgs',
    [['Content-Type', 'application/json; charset=klingon']],
    orgBody,
    { status: 415 },
  );
  apiBody(
    'POST /v1/orgs with Content-Encoding: compress',
    'content-type',
    'api',
    '/v1/orgs',
    [json, ['Content-Encoding', 'compress']],
    orgBody,
    { status: 415 },
  );
  apiBody(
    'POST /v1/orgs claimed gzip, plain',
    'content-type',
    'api',
    '/v1/orgs',
    [json, ['Content-Encoding', 'gzip']],
    orgBody,
    { status: 400 },
  );
  apiBody('POST /v1/orgs, truncated JSON', 'json', 'api', '/v1/orgs', [json], orgBody.subarray(0, 20), { status: 400 });
  apiBody('POST /v1/orgs, JSON string', 'json', 'api', '/v1/orgs', [json], Buffer.from('"hostile-org"'), {
    status: 400,
  });
  apiBody(
    'POST /v1/orgs, JSON array',
    'json',
    'api',
    '/v1/orgs',
    [json],
    Buffer.from('[{"slug":"hostile-org","name":"x"}]'),
    { status: 400 },
  );
  apiBody(
    'POST /v1/orgs, random bytes',
    'json',
    'api',
    '/v1/orgs',
    [json],
    Buffer.from(Array.from({ length: 300 }, () => int(256))),
    { status: 400 },
  );
  apiBody(
    'POST /v1/orgs, bytes not UTF-8 in the name',
    'unicode',
    'api',
    '/v1/orgs',
    [json],
    Buffer.concat([
      Buffer.from('{"slug":"hostile-org","name":"'),
      Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]),
    { status: 400 },
  );
  apiBody(
    'void with a text/plain body',
    'content-type',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    [['Content-Type', 'text/plain']],
    Buffer.from('reason'),
    { status: 404 },
  );
  apiBody(
    'void in UTF-16',
    'content-type',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    [['Content-Type', 'application/json; charset=utf-16']],
    Buffer.from('{"reason":"x"}', 'utf16le'),
    { status: 415 },
  );
  apiBody(
    'void with a truncated body',
    'json',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    [json],
    Buffer.from('{"reason": "x'),
    { status: 400 },
  );
  apiBody(
    'close with garbage JSON',
    'json',
    'invoicing',
    '/v1/billing/periods/2000-01/close',
    [json],
    Buffer.from('{{{{'),
    { status: 400 },
  );

  // ---------------------------------------------------------------- types and unicode in API bodies ----------
  const apiJson = (
    name: string,
    category: Category,
    service: Service,
    target: string,
    body: unknown,
    expect: Expectation,
    token = ctx.tokens.operator,
  ) =>
    add({
      name,
      category,
      service,
      method: 'POST',
      target,
      headers: [['Authorization', `Bearer ${token}`], json],
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      expect,
    });
  const faults = (...paths: string[]): Expectation => ({ status: 400, errors: paths });
  const orgs = `/v1/orgs`;
  const members = `/v1/orgs/${ctx.org}/members`;
  const tokensPath = `/v1/orgs/${ctx.org}/tokens`;
  apiJson('org slug a number', 'types', 'api', orgs, { slug: 1, name: 'x' }, faults('slug'));
  apiJson('org name an array', 'types', 'api', orgs, { slug: 'hostile-org', name: ['x'] }, faults('name'));
  apiJson('org slug null', 'types', 'api', orgs, { slug: null, name: 'x' }, faults('slug'));
  apiJson('org slug an object', 'types', 'api', orgs, { slug: { $ne: '' }, name: 'x' }, faults('slug'));
  apiJson(
    'org slug of SQL',
    'injection',
    'api',
    orgs,
    { slug: "x'; DROP TABLE invoices; --", name: 'x' },
    faults('slug'),
  );
  apiJson(
    'org name with NUL',
    'unicode',
    'api',
    orgs,
    { slug: 'hostile-org', name: 'Hostile\u0000Org' },
    faults('name'),
  );
  apiJson(
    'org name with a lone surrogate',
    'unicode',
    'api',
    orgs,
    { slug: 'hostile-org', name: 'Hostile \ud800' },
    faults('name'),
  );
  apiJson(
    'org name of 201 characters',
    'types',
    'api',
    orgs,
    { slug: 'hostile-org', name: 'n'.repeat(201) },
    faults('name'),
  );
  apiJson(
    'org slug with a zero-width space',
    'unicode',
    'api',
    orgs,
    { slug: 'hostile\u200borg', name: 'x' },
    faults('slug'),
  );
  apiJson(
    'org slug in the name of __proto__',
    'json',
    'api',
    orgs,
    JSON.parse('{"__proto__": {"slug": "hostile-org", "name": "x"}}'),
    faults('slug', 'name'),
  );
  apiJson('host name a number', 'types', 'api', '/v1/hosts', { name: 42 }, faults('name'));
  apiJson('host name with NUL', 'unicode', 'api', '/v1/hosts', { name: 'h\u0000' }, faults('name'));
  apiJson('member role owner', 'types', 'api', members, { email: 'x@hostile.test', role: 'owner' }, faults('role'));
  apiJson('member role a number', 'types', 'api', members, { email: 'x@hostile.test', role: 3 }, faults('role'));
  apiJson('member email a boolean', 'types', 'api', members, { email: true, role: 'viewer' }, faults('email'));
  apiJson(
    'member email with NUL',
    'unicode',
    'api',
    members,
    { email: 'x\u0000@hostile.test', role: 'viewer' },
    faults('email'),
  );
  apiJson(
    'member email with a lone surrogate',
    'unicode',
    'api',
    members,
    { email: 'x\udfff@hostile.test', role: 'viewer' },
    faults('email'),
  );
  apiJson('member email of SQL', 'injection', 'api', members, { email: "' OR 1=1 --", role: 'admin' }, faults('email'));
  apiJson('token name a number', 'types', 'api', tokensPath, { email: 'admin@hostile.test', name: 5 }, faults('name'));
  apiJson(
    'token name with NUL',
    'unicode',
    'api',
    tokensPath,
    { email: 'admin@hostile.test', name: 'n\u0000' },
    faults('name'),
  );
  apiJson('token email an array', 'types', 'api', tokensPath, { email: ['admin@hostile.test'] }, faults('email'));
  apiJson(
    'void reason a number',
    'types',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    { reason: 42 },
    faults('reason'),
  );
  apiJson(
    'void reason with NUL',
    'unicode',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    { reason: 'r\u0000' },
    faults('reason'),
  );
  const deep = nestedArrays(40_000);
  apiJson('org body 40,000 nested arrays', 'nesting', 'api', orgs, deep, { status: 400 });
  apiJson('org slug 40,000 nested arrays', 'nesting', 'api', orgs, `{"slug": ${deep}, "name": "x"}`, faults('slug'));
  apiJson(
    'member email 15,000 nested objects',
    'nesting',
    'api',
    members,
    `{"email": ${nestedObjects(15_000)}, "role": "viewer"}`,
    faults('email'),
  );
  apiJson(
    'void reason 40,000 nested arrays',
    'nesting',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    `{"reason": ${deep}}`,
    faults('reason'),
  );

  // ---------------------------------------------------------------- oversize (API, invoicing) ----------
  const big = (n: number) => () => Buffer.from(JSON.stringify({ slug: 'hostile-org', name: 'x'.repeat(n) }));
  apiBody(
    'POST /v1/orgs of 100 kB + 1, Content-Length',
    'oversize',
    'api',
    orgs,
    [json],
    () => big(API_LIMIT + 1 - 32)(),
    { status: 413 },
  );
  apiBody(
    'POST /v1/orgs of 5 MiB, chunked',
    'oversize',
    'api',
    orgs,
    [json],
    big(5 * MiB),
    { status: 413 },
    { chunked: true },
  );
  apiBody(
    'POST members announcing 1 GiB',
    'oversize',
    'api',
    members,
    [json, ['Content-Length', String(1024 * MiB)]],
    big(10 * KiB),
    { status: 413 },
  );
  apiBody(
    'POST /v1/orgs, a gzip bomb of 50 MiB',
    'oversize',
    'api',
    orgs,
    [json, ['Content-Encoding', 'gzip']],
    () => gzipSync(Buffer.from(`{"slug":"x","name":"${' '.repeat(50 * MiB)}"}`)),
    { status: 413 },
  );
  apiBody(
    'POST /v1/orgs, 200,000 nested arrays (over the limit)',
    'oversize',
    'api',
    orgs,
    [json],
    () => Buffer.from(nestedArrays(200_000)),
    { status: 413 },
  );
  apiBody(
    'void with 1 MiB of reason',
    'oversize',
    'invoicing',
    '/v1/billing/invoices/INV-000001/void',
    [json],
    () => Buffer.from(JSON.stringify({ reason: 'r'.repeat(MiB) })),
    { status: 413 },
  );
  apiBody(
    'close with a 2 MiB body, chunked',
    'oversize',
    'invoicing',
    '/v1/billing/periods/2000-01/close',
    [json],
    () => Buffer.from(JSON.stringify({ x: 'r'.repeat(2 * MiB) })),
    { status: 413 },
    { chunked: true },
  );
  add({
    name: 'GET /v1/prices with a 1 MiB JSON body',
    category: 'oversize',
    service: 'api',
    method: 'GET',
    target: '/v1/prices',
    headers: [['Authorization', `Bearer ${ctx.tokens.viewer}`], json],
    body: () => Buffer.from(JSON.stringify({ x: 'x'.repeat(MiB) })),
    expect: { status: 413 },
  });

  // ---------------------------------------------------------------- injection: every path and query parameter ----------
  const SQL = ["'; DROP TABLE invoices; --", '1 OR 1=1', "' OR '1'='1' --", `'${'x'.repeat(4000)}`];
  const NUL = '%00';
  const get = (
    name: string,
    service: Service,
    target: string,
    expect: Expectation,
    token = ctx.tokens.operator,
    method = 'GET',
    category: Category = 'injection',
  ) => add({ name, category, service, method, target, headers: [['Authorization', `Bearer ${token}`]], expect });
  const label = (v: string) => (v.length > 40 ? `${v.slice(0, 12)}… (${v.length} chars)` : v);
  const pathParams: [string, Service, string, (v: string) => string, Expectation][] = [
    ['GET /v1/orgs/{org}', 'api', 'GET', (v) => `/v1/orgs/${v}`, { status: 404 }],
    [
      'GET /v1/orgs/{org}/usage',
      'api',
      'GET',
      (v) => `/v1/orgs/${v}/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`,
      { status: 404 },
    ],
    ['GET /v1/orgs/{org}/usage/current', 'api', 'GET', (v) => `/v1/orgs/${v}/usage/current`, { status: 404 }],
    ['GET /v1/orgs/{org}/invoices', 'api', 'GET', (v) => `/v1/orgs/${v}/invoices`, { status: 404 }],
    ['GET /v1/orgs/{org}/credit-notes', 'api', 'GET', (v) => `/v1/orgs/${v}/credit-notes`, { status: 404 }],
    ['GET /v1/orgs/{org}/members', 'api', 'GET', (v) => `/v1/orgs/${v}/members`, { status: 404 }],
    ['GET /v1/orgs/{org}/tokens', 'api', 'GET', (v) => `/v1/orgs/${v}/tokens`, { status: 404 }],
    ['GET /v1/orgs/{org}/audit', 'api', 'GET', (v) => `/v1/orgs/${v}/audit`, { status: 404 }],
    ['GET /v1/orgs/{org}/invoices/{number}', 'api', 'GET', (v) => `/v1/orgs/${ctx.org}/invoices/${v}`, { status: 404 }],
    [
      'GET /v1/orgs/{org}/credit-notes/{number}',
      'api',
      'GET',
      (v) => `/v1/orgs/${ctx.org}/credit-notes/${v}`,
      { status: 404 },
    ],
    [
      'DELETE /v1/orgs/{org}/members/{email}',
      'api',
      'DELETE',
      (v) => `/v1/orgs/${ctx.org}/members/${v}`,
      { status: 404 },
    ],
    ['DELETE /v1/orgs/{org}/tokens/{id}', 'api', 'DELETE', (v) => `/v1/orgs/${ctx.org}/tokens/${v}`, { status: 404 }],
    ['DELETE /v1/hosts/{host}', 'api', 'DELETE', (v) => `/v1/hosts/${v}`, { status: 404 }],
    [
      'POST /v1/billing/periods/{period}/close',
      'invoicing',
      'POST',
      (v) => `/v1/billing/periods/${v}/close`,
      { status: 400 },
    ],
    [
      'POST /v1/billing/invoices/{number}/void',
      'invoicing',
      'POST',
      (v) => `/v1/billing/invoices/${v}/void`,
      { status: 404 },
    ],
    ['GET /v1/billing/invoices/{number}', 'invoicing', 'GET', (v) => `/v1/billing/invoices/${v}`, { status: 404 }],
  ];
  for (const [route, service, method, path, expect] of pathParams) {
    for (const v of SQL) get(`${route} with ${label(v)}`, service, path(enc(v)), expect, ctx.tokens.operator, method);
    get(`${route} with %00`, service, path(`x${NUL}`), { status: 400 }, ctx.tokens.operator, method);
    get(
      `${route} with a percent-encoded lone surrogate`,
      service,
      path('x%ED%A0%80'),
      { status: 400 },
      ctx.tokens.operator,
      method,
      'unicode',
    );
  }
  // The same as a member of the target (the guard compares, the database is not asked).
  get('GET /v1/orgs/{org} with SQL, as a member', 'api', `/v1/orgs/${enc(SQL[0]!)}`, { status: 404 }, ctx.tokens.admin);
  get(
    'GET /v1/orgs/{org} with an overlong "/" (%C0%AF)',
    'api',
    `/v1/orgs/%C0%AF`,
    { status: 400 },
    ctx.tokens.operator,
    'GET',
    'unicode',
  );
  get(
    'GET /v1/orgs/{org} with a truncated escape (%E2%82)',
    'api',
    `/v1/orgs/%E2%82`,
    { status: 400 },
    ctx.tokens.operator,
    'GET',
    'unicode',
  );
  get('GET /v1/orgs/{org} with a bare %', 'api', `/v1/orgs/100%`, { status: 400 });
  get(
    'GET /v1/orgs/{org} with a right-to-left override',
    'api',
    `/v1/orgs/${enc(`\u202e${ctx.org}`)}`,
    { status: 404 },
    ctx.tokens.operator,
    'GET',
    'unicode',
  );
  get('GET /v1/orgs/{org} as ../', 'api', `/v1/orgs/..%2F..%2Fv1%2Fprices`, { status: 404 });
  get('a path climbing out of the dashboard', 'api', `/..%2F..%2F..%2Fpackage.json`, { status: 404 });
  get('a dot-dot path to package.json', 'api', `/vendor/chartjs/../../../package.json`, { status: 404 });

  const from = new Date(ctx.now - 2 * 86_400_000).toISOString().slice(0, 19) + 'Z';
  const to = new Date(ctx.now + 86_400_000).toISOString().slice(0, 19) + 'Z';
  const usage = (extra: string) => `/v1/orgs/${ctx.org}/usage?${extra}`;
  const valid: Record<string, string> = { from, to };
  const withParam = (name: string, v: string) =>
    Object.entries({ ...valid, [name]: v })
      .map(([k, x]) => `${k}=${x}`)
      .join('&');
  for (const name of ['from', 'to', 'granularity', 'tz', 'group_by', 'format']) {
    for (const v of SQL)
      get(`usage ${name}=${label(v)}`, 'api', usage(withParam(name, enc(v))), { status: 400 }, ctx.tokens.viewer);
    get(`usage ${name}=%00`, 'api', usage(withParam(name, NUL)), { status: 400 }, ctx.tokens.viewer);
  }
  for (const name of ['region', 'app', 'sku']) {
    // A filter is free text: SQL in it is a value that matches nothing.
    for (const v of SQL)
      get(
        `usage ${name}=${label(v)}`,
        'api',
        usage(withParam(name, enc(v))),
        { status: 200, noRows: true },
        ctx.tokens.viewer,
      );
    get(`usage ${name}=%00`, 'api', usage(withParam(name, `x${NUL}`)), { status: 400 }, ctx.tokens.viewer);
  }
  get(
    'usage from given twice',
    'api',
    usage(`${withParam('from', from)}&from=${from}`),
    { status: 400, detail: /invalid query/ },
    ctx.tokens.viewer,
  );
  get(
    'usage format given twice',
    'api',
    usage(`${withParam('format', 'csv')}&format=json`),
    { status: 400 },
    ctx.tokens.viewer,
  );
  get(
    'usage tz given 500 times',
    'api',
    usage(`${withParam('tz', 'UTC')}${'&tz=UTC'.repeat(500)}`),
    { status: 400 },
    ctx.tokens.viewer,
  );
  get(
    'usage group_by of 1,000 keys',
    'api',
    usage(withParam('group_by', Array.from({ length: 1000 }, (_, i) => `k${i}`).join(','))),
    { status: 400 },
    ctx.tokens.viewer,
  );
  get(
    'usage from in year 0',
    'api',
    usage('from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z'),
    { status: 400, errors: ['from', 'to'] },
    ctx.tokens.viewer,
    'GET',
    'numbers',
  );
  get(
    'usage from a local date in year 0',
    'api',
    usage('from=0000-01-01&to=0000-01-02'),
    { status: 400, errors: ['from', 'to'] },
    ctx.tokens.viewer,
    'GET',
    'numbers',
  );
  get(
    'usage from 1e308',
    'api',
    usage(withParam('from', '1e308')),
    { status: 400, errors: ['from'] },
    ctx.tokens.viewer,
    'GET',
    'numbers',
  );
  // ICU still knows US/Pacific-New; Postgres does not.
  get(
    'usage by hour in a zone only ICU knows',
    'api',
    usage(withParam('tz', 'US/Pacific-New')),
    { status: 400, errors: ['tz'] },
    ctx.tokens.viewer,
    'GET',
    'types',
  );
  get(
    'usage by day in a zone only ICU knows',
    'api',
    usage(`${withParam('tz', 'US/Pacific-New')}&granularity=day`),
    { status: 400, errors: ['tz'] },
    ctx.tokens.viewer,
    'GET',
    'types',
  );
  get('usage with no parameters at all', 'api', usage(''), { status: 400, detail: /invalid query/ }, ctx.tokens.viewer);

  const costs = (extra: string) => `/v1/orgs/${ctx.org}/costs?${extra}`;
  for (const name of ['from', 'granularity', 'tz', 'group_by', 'order', 'limit', 'format']) {
    get(
      `costs ${name}=${label(SQL[0]!)}`,
      'api',
      costs(withParam(name, enc(SQL[0]!))),
      { status: 400 },
      ctx.tokens.viewer,
    );
    get(`costs ${name}=%00`, 'api', costs(withParam(name, NUL)), { status: 400 }, ctx.tokens.viewer);
  }
  get(
    'costs limit given twice',
    'api',
    costs(`${withParam('limit', '1')}&limit=2`),
    { status: 400 },
    ctx.tokens.viewer,
  );
  get('costs resource=%00', 'api', costs(withParam('resource', NUL)), { status: 400 }, ctx.tokens.viewer);
  get(
    'costs by day in a zone only ICU knows',
    'api',
    costs(`${withParam('tz', 'US/Pacific-New')}&granularity=day`),
    { status: 400, errors: ['tz'] },
    ctx.tokens.viewer,
    'GET',
    'types',
  );
  get(
    'costs from a local date in a zone only ICU knows',
    'api',
    costs('from=2026-11-01&to=2026-11-02&tz=US/Pacific-New'),
    { status: 400, errors: ['tz'] },
    ctx.tokens.viewer,
    'GET',
    'types',
  );

  const audit = (extra: string) => `/v1/orgs/${ctx.org}/audit?${extra}`;
  for (const v of SQL)
    get(
      `audit limit=${label(v)}`,
      'api',
      audit(`limit=${enc(v)}`),
      { status: 400, errors: ['limit'] },
      ctx.tokens.admin,
    );
  for (const v of ['1e308', '-0', '0', '1001', '1.5', 'NaN', 'Infinity', '9'.repeat(400)])
    get(
      `audit limit=${label(v)}`,
      'api',
      audit(`limit=${enc(v)}`),
      { status: 400, errors: ['limit'] },
      ctx.tokens.admin,
      'GET',
      'numbers',
    );
  for (const v of SQL)
    get(
      `audit before=${label(v)}`,
      'api',
      audit(`before=${enc(v)}`),
      { status: 400, errors: ['before'] },
      ctx.tokens.admin,
    );
  for (const v of ['-1', '1e3', '99999999999999999999'])
    get(
      `audit before=${label(v)}`,
      'api',
      audit(`before=${enc(v)}`),
      { status: 400, errors: ['before'] },
      ctx.tokens.admin,
      'GET',
      'numbers',
    );
  get('audit limit given twice', 'api', audit('limit=1&limit=2'), { status: 400 }, ctx.tokens.admin);
  get('audit before=%00', 'api', audit(`before=1${NUL}`), { status: 400 }, ctx.tokens.admin);
  for (const v of SQL.slice(0, 2))
    get(
      `invoice format=${label(v)}`,
      'api',
      `/v1/orgs/${ctx.org}/invoices/INV-000001?format=${enc(v)}`,
      { status: 400 },
      ctx.tokens.admin,
    );
  get(
    'invoice format given twice',
    'api',
    `/v1/orgs/${ctx.org}/invoices/INV-000001?format=json&format=html`,
    { status: 400 },
    ctx.tokens.admin,
  );
  get(
    'credit note format=%00',
    'api',
    `/v1/orgs/${ctx.org}/credit-notes/CN-000001?format=html${NUL}`,
    { status: 400 },
    ctx.tokens.admin,
  );

  const preview = (extra: string) => `/v1/billing/preview?${extra}`;
  for (const v of SQL) {
    get(`preview org=${label(v)}`, 'invoicing', preview(`org=${enc(v)}&period=2026-10`), { status: 400 });
    get(`preview period=${label(v)}`, 'invoicing', preview(`org=${ctx.org}&period=${enc(v)}`), { status: 400 });
  }
  get('preview of an organization that does not exist', 'invoicing', preview('org=no-such-org&period=2026-10'), {
    status: 404,
  });
  get('preview org=%00', 'invoicing', preview(`org=${ctx.org}${NUL}&period=2026-10`), { status: 400 });
  get('preview org given twice', 'invoicing', preview(`org=${ctx.org}&org=x&period=2026-10`), { status: 400 });
  get('preview period given twice', 'invoicing', preview(`org=${ctx.org}&period=2026-10&period=2026-11`), {
    status: 400,
  });
  get(
    'preview period 0000-01',
    'invoicing',
    preview(`org=${ctx.org}&period=0000-01`),
    { status: 400 },
    ctx.tokens.operator,
    'GET',
    'numbers',
  );
  get(
    'preview period 0099-12',
    'invoicing',
    preview(`org=${ctx.org}&period=0099-12`),
    { status: 400 },
    ctx.tokens.operator,
    'GET',
    'numbers',
  );
  get(
    'preview period 9999-13',
    'invoicing',
    preview(`org=${ctx.org}&period=9999-13`),
    { status: 400 },
    ctx.tokens.operator,
    'GET',
    'numbers',
  );
  get(
    'close period 0000-01',
    'invoicing',
    '/v1/billing/periods/0000-01/close',
    { status: 400 },
    ctx.tokens.operator,
    'POST',
    'numbers',
  );
  get(
    'close period 0050-06 (Date.UTC would read 1950)',
    'invoicing',
    '/v1/billing/periods/0050-06/close',
    { status: 400 },
    ctx.tokens.operator,
    'POST',
    'numbers',
  );
  get(
    'close period +2026-10',
    'invoicing',
    '/v1/billing/periods/%2B2026-10/close',
    { status: 400 },
    ctx.tokens.operator,
    'POST',
  );
}
