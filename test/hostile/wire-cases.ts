import { Expectation, HEADERS_TIMEOUT_BOUND_MS, HostileCase, KiB, Kit, REQUEST_TIMEOUT_BOUND_MS, Service } from './kit';

/** Cases of the wire itself, for all three services: huge and malformed heads, bad credentials, method confusion, broken framing, slow senders. */
export function wireCases(k: Kit): void {
  const { ctx, add, validBatch, host, json, one } = k;

  // ---------------------------------------------------------------- headers ----------
  const head = (
    name: string,
    service: Service,
    headers: [string, string][],
    expect: Expectation,
    target = '/v1/events',
    method = 'POST',
  ) =>
    add({
      name,
      category: 'headers',
      service,
      method,
      target,
      headers,
      ...(method === 'POST' ? { body: one() } : {}),
      expect,
    });
  for (const service of ['collector', 'api', 'invoicing'] as const) {
    const target =
      service === 'collector' ? '/v1/events' : service === 'api' ? `/v1/orgs/${ctx.org}` : '/v1/billing/reconcile';
    const method = service === 'collector' ? 'POST' : 'GET';
    const auth: [string, string] = [
      'Authorization',
      `Bearer ${service === 'collector' ? ctx.tokens.host : ctx.tokens.operator}`,
    ];
    head(
      `${service}: a 20 KiB header`,
      service,
      [auth, json, ['X-Padding', 'p'.repeat(20 * KiB)]],
      { status: 431 },
      target,
      method,
    );
    head(
      `${service}: a 17 KiB Authorization header`,
      service,
      [['Authorization', `Bearer ${'t'.repeat(17 * KiB)}`], json],
      { status: 431 },
      target,
      method,
    );
    head(
      `${service}: 3,000 headers`,
      service,
      [auth, json, ...Array.from({ length: 3000 }, (_, i): [string, string] => [`X-H${i}`, 'v'])],
      { status: 431 },
      target,
      method,
    );
    head(
      `${service}: a 20 KiB request target`,
      service,
      [auth],
      { status: 431 },
      `${target}?${'q'.repeat(20 * KiB)}`,
      method,
    );
  }
  head('a NUL byte in a header value', 'collector', [host(), json, ['X-A', 'a\u0000b']], { status: 400 });
  head('a space in a header name', 'collector', [host(), json, ['X A', 'b']], { status: 400 });
  head('an obsolete folded header', 'collector', [host(), json, ['X-A', 'a\r\n b']], { status: 400 });
  head(
    'Content-Length and Transfer-Encoding both',
    'collector',
    [host(), json, ['Content-Length', '3'], ['Transfer-Encoding', 'chunked']],
    { status: 400 },
  );
  head('two different Content-Lengths', 'collector', [host(), json, ['Content-Length', '3'], ['Content-Length', '4']], {
    status: 400,
  });
  head('Content-Length -1', 'collector', [host(), json, ['Content-Length', '-1']], { status: 400 });
  head('Content-Length 1e3', 'collector', [host(), json, ['Content-Length', '1e3']], { status: 400 });
  head('Content-Length beyond 2^64', 'collector', [host(), json, ['Content-Length', '99999999999999999999999']], {
    status: 400,
  });
  head('Transfer-Encoding: identity', 'collector', [host(), json, ['Transfer-Encoding', 'identity']], { status: 400 });
  head('Expect: 200-ok', 'collector', [host(), json, ['Expect', '200-ok']], { status: 417, problem: false });

  // ---------------------------------------------------------------- auth ----------
  const authCase = (name: string, value: string | null, status: number, service: Service = 'collector') => {
    const target =
      service === 'collector'
        ? '/v1/events'
        : service === 'api'
          ? `/v1/orgs/${ctx.org}/usage/current`
          : '/v1/billing/reconcile';
    add({
      name,
      category: 'auth',
      service,
      method: service === 'collector' ? 'POST' : 'GET',
      target,
      headers: [
        ...(value === null ? [] : ([['Authorization', value]] as [string, string][])),
        ...(service === 'collector' ? [json] : []),
      ],
      ...(service === 'collector' ? { body: one() } : {}),
      expect: { status, ...(status === 401 ? { detail: /Authorization|token/ } : {}) },
    });
  };
  for (const service of ['collector', 'api', 'invoicing'] as const) {
    authCase(`${service}: no Authorization`, null, 401, service);
    authCase(`${service}: "Bearer" alone`, 'Bearer', 401, service);
    authCase(`${service}: Basic credentials`, 'Basic dXNlcjpwYXNz', 401, service);
    authCase(`${service}: a bearer token of 513 characters`, `Bearer ${'a'.repeat(513)}`, 401, service);
    authCase(`${service}: SQL as the token`, "Bearer ' OR 1=1 --", 401, service);
    authCase(`${service}: SQL without spaces as the token`, "Bearer 'OR'1'='1'--", 401, service);
  }
  authCase('two spaces after Bearer', `Bearer  ${ctx.tokens.host}`, 401);
  authCase('a tab after Bearer', `Bearer\t${ctx.tokens.host}`, 401);
  authCase('the host token with a character more', `Bearer ${ctx.tokens.host}x`, 401);
  authCase('the host token cut short', `Bearer ${ctx.tokens.host.slice(0, -1)}`, 401);
  authCase('a revoked host token', `Bearer ${ctx.tokens.revokedHost}`, 401);
  authCase('a token with Latin-1 bytes', 'Bearer t\u00e9\u00ff', 401);
  authCase('Bearer %00', 'Bearer %00', 401);
  authCase('a Digest header', 'Digest username="x", response="y"', 401);
  authCase('a lowercase scheme with an unknown token', 'bearer mh_unknown', 401);
  authCase('the operator token at the collector', `Bearer ${ctx.tokens.operator}`, 403);
  authCase('a member token at the collector', `Bearer ${ctx.tokens.viewer}`, 403);
  authCase('the host token at the API', `Bearer ${ctx.tokens.host}`, 403, 'api');
  authCase('the host token at invoicing', `Bearer ${ctx.tokens.host}`, 403, 'invoicing');
  authCase('a member token at invoicing', `Bearer ${ctx.tokens.admin}`, 403, 'invoicing');
  authCase("another organization's admin", `Bearer ${ctx.tokens.otherAdmin}`, 404, 'api');
  add({
    name: 'two Authorization headers, a bad one first',
    category: 'auth',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [['Authorization', 'Bearer mh_unknown'], ['Authorization', `Bearer ${ctx.tokens.host}`], json],
    body: one(),
    expect: { status: 401 },
  });

  // ---------------------------------------------------------------- methods ----------
  const method = (
    name: string,
    service: Service,
    m: string,
    target: string,
    status: number,
    headers: [string, string][] = [],
  ) =>
    add({
      name,
      category: 'method',
      service,
      method: m,
      target,
      headers: [
        ['Authorization', `Bearer ${service === 'collector' ? ctx.tokens.host : ctx.tokens.operator}`],
        ...headers,
      ],
      expect: { status },
    });
  // A path that exists under another method: 405 with Allow.
  for (const m of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'])
    method(`${m} /v1/events`, 'collector', m, '/v1/events', 405);
  method('HEAD /v1/events', 'collector', 'HEAD', '/v1/events', 405);
  method('POST /v1/prices', 'api', 'POST', '/v1/prices', 405);
  method('PUT /v1/orgs/{org}', 'api', 'PUT', `/v1/orgs/${ctx.org}`, 405);
  method('DELETE /v1/orgs/{org}', 'api', 'DELETE', `/v1/orgs/${ctx.org}`, 405);
  method('PATCH /v1/orgs/{org}/members', 'api', 'PATCH', `/v1/orgs/${ctx.org}/members`, 405);
  method('GET /v1/billing/periods/{period}/close', 'invoicing', 'GET', '/v1/billing/periods/2000-01/close', 405);
  method('DELETE /v1/billing/invoices/{number}', 'invoicing', 'DELETE', '/v1/billing/invoices/INV-000001', 405);
  method('POST /v1/billing/reconcile', 'invoicing', 'POST', '/v1/billing/reconcile', 405);
  method('X-HTTP-Method-Override on a GET of a POST route', 'collector', 'GET', '/v1/events', 405, [
    ['X-HTTP-Method-Override', 'POST'],
  ]);
  method('GET with an absolute-form target', 'collector', 'GET', 'http://evil.example/v1/events', 405);
  const rawReq = (name: string, service: Service, text: string, status: number, problem = true) =>
    add({
      name,
      category: 'protocol',
      service,
      method: '',
      target: '',
      headers: [],
      raw: Buffer.from(text, 'latin1'),
      expect: { status, problem },
    });
  for (const service of ['collector', 'api', 'invoicing'] as const) {
    rawReq(
      `${service}: a lowercase method`,
      service,
      'get /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
    );
    rawReq(
      `${service}: an unknown method`,
      service,
      'FOO /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
    );
    rawReq(`${service}: CONNECT`, service, 'CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n', 405);
  }
  rawReq('the HTTP/2 preface', 'collector', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400);
  rawReq('HTTP/3.0', 'collector', 'POST /v1/events HTTP/3.0\r\nHost: x\r\n\r\n', 400);
  rawReq(
    'raw UTF-8 bytes in the path',
    'api',
    `GET /v1/orgs/\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    400,
  );
  rawReq(
    'a raw control byte in the path',
    'api',
    `GET /v1/orgs/\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    400,
  );
  rawReq(
    'a space in the path',
    'invoicing',
    `GET /v1/billing/invoices/INV 1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    400,
  );
  rawReq('bare LF line ends', 'collector', 'POST /v1/events HTTP/1.1\nHost: x\nConnection: close\n\n', 400);
  rawReq('HTTP/1.1 without Host', 'collector', 'POST /v1/events HTTP/1.1\r\nConnection: close\r\n\r\n', 400, false);
  rawReq(
    'a bad chunk size',
    'collector',
    `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.tokens.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n[]\r\n0\r\n\r\n`,
    400,
  );
  rawReq(
    'a chunk extension of 20 KiB',
    'collector',
    `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.tokens.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2;${'e'.repeat(20 * KiB)}\r\n[]\r\n0\r\n\r\n`,
    413,
  );
  rawReq(
    'valid events, then a chunk that lies about its size',
    'collector',
    `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.tokens.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(() => {
      const text = JSON.stringify(validBatch(3));
      return `${(text.length + 10).toString(16)}\r\n${text}\r\n0\r\n\r\n${'x'.repeat(12)}`;
    })()}`,
    400,
  );

  // ---------------------------------------------------------------- slow senders ----------
  const slowBody = () => Buffer.from(JSON.stringify(validBatch(5)));
  add({
    name: 'headers trickled, one byte every 200 ms',
    category: 'slow',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json, ['X-Padding', 'p'.repeat(400)]],
    body: slowBody(),
    pace: { part: 'head', bytesPerTick: 1, tickMs: 200 },
    expect: { status: 408 },
    boundMs: HEADERS_TIMEOUT_BOUND_MS,
  });
  add({
    name: 'valid events, the body never finished',
    category: 'slow',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json],
    body: slowBody(),
    pace: { part: 'body', bytesPerTick: 64, tickMs: 0, stopAfter: 256 },
    expect: { status: 408 },
    boundMs: REQUEST_TIMEOUT_BOUND_MS,
  });
  const chaos = (c: Omit<HostileCase, 'category' | 'chaosOnly'>) => add({ ...c, category: 'slow', chaosOnly: true });
  chaos({
    name: 'valid events, the body trickled one byte a second',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json],
    body: slowBody(),
    pace: { part: 'body', bytesPerTick: 1, tickMs: 1000 },
    expect: { status: 408 },
    boundMs: REQUEST_TIMEOUT_BOUND_MS,
  });
  chaos({
    name: 'a connection that never sends a byte',
    service: 'collector',
    method: '',
    target: '',
    headers: [],
    raw: Buffer.alloc(1),
    pace: { part: 'head', bytesPerTick: 1, tickMs: 0, stopAfter: 0 },
    expect: { status: 408 },
    boundMs: HEADERS_TIMEOUT_BOUND_MS,
  });
  chaos({
    name: 'valid events, chunked, the last chunk never sent',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json],
    body: slowBody(),
    chunked: true,
    pace: { part: 'body', bytesPerTick: 128, tickMs: 0, stopAfter: 512 },
    expect: { status: 408 },
    boundMs: REQUEST_TIMEOUT_BOUND_MS,
  });
  add({
    name: 'valid events, the client hangs up half-way through the body',
    category: 'slow',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json],
    body: slowBody(),
    pace: { part: 'body', bytesPerTick: 64, tickMs: 10, stopAfter: 256, abort: true },
    expect: { status: 'none' },
  });
  chaos({
    name: 'API: headers trickled',
    service: 'api',
    method: 'GET',
    target: `/v1/orgs/${ctx.org}/usage/current`,
    headers: [
      ['Authorization', `Bearer ${ctx.tokens.viewer}`],
      ['X-Padding', 'p'.repeat(400)],
    ],
    pace: { part: 'head', bytesPerTick: 1, tickMs: 200 },
    expect: { status: 408 },
    boundMs: HEADERS_TIMEOUT_BOUND_MS,
  });
  chaos({
    name: 'API: a JSON body never finished',
    service: 'api',
    method: 'POST',
    target: '/v1/orgs',
    headers: [['Authorization', `Bearer ${ctx.tokens.operator}`], json],
    body: Buffer.from(JSON.stringify({ slug: 'hostile-slow', name: 'Slow' })),
    pace: { part: 'body', bytesPerTick: 8, tickMs: 0, stopAfter: 16 },
    expect: { status: 408 },
    boundMs: REQUEST_TIMEOUT_BOUND_MS,
  });
  chaos({
    name: 'invoicing: a void body trickled',
    service: 'invoicing',
    method: 'POST',
    target: '/v1/billing/invoices/INV-000001/void',
    headers: [['Authorization', `Bearer ${ctx.tokens.operator}`], json],
    body: Buffer.from(JSON.stringify({ reason: 'r'.repeat(200) })),
    pace: { part: 'body', bytesPerTick: 1, tickMs: 1000 },
    expect: { status: 408 },
    boundMs: REQUEST_TIMEOUT_BOUND_MS,
  });
}
