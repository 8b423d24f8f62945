import { gzipSync } from 'node:zlib';
import type { MeteringConfig } from '@metering/service';
import { decodeUsageEvent } from '@metering/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, readTopic, TestTopics } from './support/kafka';
import { call, seedHost, startOnly } from './support/services';

/**
 * The ingest contract over HTTP, against the real collector, Kafka and Postgres: every bad
 * input of the table gets the answer it must get, and the good events beside them are in Kafka.
 */
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

type Json = Record<string, unknown>;
let serial = 0;
/** A valid machine.runtime event; `data` entries set to undefined are removed. */
function good(top: Json = {}, data: Json = {}): Json {
  const event: Json = {
    specversion: '1.0',
    id: `ok-${serial++}`,
    source: 'host/ord-1',
    type: 'machine.runtime',
    time: iso(NOW - 3_600_000),
    data: { org: 'acme', app: 'web', resource: 'm_1', region: 'ord', quantity: 60, size: 'shared-cpu-1x' },
    ...top,
  };
  const d = event['data'] as Json;
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) delete d[k];
    else d[k] = v;
  }
  for (const [k, v] of Object.entries(top)) if (v === undefined) delete event[k];
  return event;
}
const gpu = (data: Json = {}, top: Json = {}) =>
  good({ type: 'gpu.runtime', ...top }, { size: undefined, gpu: 'a10', ...data });
const egress = (data: Json = {}, top: Json = {}) =>
  good({ type: 'network.egress', ...top }, { size: undefined, ...data });
const volume = (data: Json = {}, top: Json = {}) =>
  good({ type: 'volume.storage', ...top }, { size: undefined, ...data });

/** Events the validator must refuse, each with the paths of all its faults. */
const BAD_EVENTS: [string, unknown, string[]][] = [
  ['unknown type', good({ type: 'machine.walltime' }), ['type']],
  ['type missing', good({ type: undefined }), ['type']],
  ['type not a string', good({ type: 42 }), ['type']],
  ['unknown organization', good({}, { org: 'nope' }), ['data.org']],
  ['organization not a slug', good({}, { org: 'Acme Corp' }), ['data.org']],
  ['organization missing', good({}, { org: undefined }), ['data.org']],
  ['unknown region', good({}, { region: 'atlantis' }), ['data.region']],
  ['region missing', good({}, { region: undefined }), ['data.region']],
  ['region not a string', good({}, { region: ['ord'] }), ['data.region']],
  ['unknown size', good({}, { size: 'shared-cpu-3x' }), ['data.size']],
  ['size missing where the type needs it', good({}, { size: undefined }), ['data.size']],
  ['unknown GPU', gpu({ gpu: 'h100' }), ['data.gpu']],
  ['GPU missing for gpu.runtime', gpu({ gpu: undefined }), ['data.gpu']],
  ['memory_mb not an integer', good({}, { memory_mb: 256.5 }), ['data.memory_mb']],
  ['negative quantity', good({}, { quantity: -1 }), ['data.quantity']],
  ['quantity as a string', good({}, { quantity: '60' }), ['data.quantity']],
  ['quantity missing', good({}, { quantity: undefined }), ['data.quantity']],
  ['quantity null', good({}, { quantity: null }), ['data.quantity']],
  ['fractional seconds', good({}, { quantity: 1.5 }), ['data.quantity']],
  ['fractional bytes', egress({ quantity: 10.5 }), ['data.quantity']],
  ['quantity more precise than 9 decimals', volume({ quantity: 1e-10 }), ['data.quantity']],
  ['integer quantity beyond 2^53', egress({ quantity: 2 ** 53 + 2 }), ['data.quantity']],
  ['time more than 35 days ago', good({ time: iso(NOW - 35 * DAY - 60_000) }), ['time']],
  ['time more than 5 minutes ahead', good({ time: iso(NOW + 6 * 60_000) }), ['time']],
  ['time not RFC 3339', good({ time: 'yesterday' }), ['time']],
  ['time without a zone', good({ time: iso(NOW - 60_000).slice(0, 19) }), ['time']],
  ['time not a real date', good({ time: '2026-02-30T10:00:00Z' }), ['time']],
  ['time missing', good({ time: undefined }), ['time']],
  ['id empty', good({ id: '' }), ['id']],
  ['id of 129 characters', good({ id: 'x'.repeat(129) }), ['id']],
  ['id missing', good({ id: undefined }), ['id']],
  ['id a number', good({ id: 7 }), ['id']],
  ['id with a control character', good({ id: 'e\u0000' }), ['id']],
  ['source of 257 characters', good({ source: 's'.repeat(257) }), ['source']],
  ['source empty', good({ source: '' }), ['source']],
  ['specversion 0.3', good({ specversion: '0.3' }), ['specversion']],
  ['data missing', good({ data: undefined }), ['data']],
  ['data a string', good({ data: 'acme' }), ['data']],
  ['resource missing', good({}, { resource: undefined }), ['data.resource']],
  ['app of 129 characters', good({}, { app: 'a'.repeat(129) }), ['data.app']],
  ['an event that is a number', 42, ['']],
  ['an event that is null', null, ['']],
  ['an event that is an array', [good()], ['']],
  [
    'every fault at once',
    good({ type: 'nope', id: '' }, { region: 'atlantis', quantity: -5 }),
    ['id', 'type', 'data.region', 'data.quantity'],
  ],
];

interface Req {
  body: string | Buffer;
  type?: string | null;
  headers?: Record<string, string>;
  token?: string | null;
}

/** Whole requests the collector must refuse, with the status and the words the problem must name. */
const BAD_REQUESTS: [string, Req, number, RegExp][] = [
  ['a body that is not JSON', { body: '[{"id": ' }, 400, /not JSON/],
  ['an empty body', { body: '' }, 400, /not JSON/],
  ['a JSON string', { body: '"hello"' }, 400, /CloudEvent/],
  ['JSON null', { body: 'null' }, 400, /CloudEvent/],
  ['a JSON number', { body: '42' }, 400, /CloudEvent/],
  ['10,001 events', { body: JSON.stringify(Array.from({ length: 10_001 }, () => 0)) }, 400, /at most 10000 events/],
  ['an array as one structured event', { body: '[]', type: 'application/cloudevents+json' }, 400, /one event/],
  ['an object as a batch', { body: '{}', type: 'application/cloudevents-batch+json' }, 400, /JSON array/],
  ['bytes that are not UTF-8', { body: Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]) }, 400, /UTF-8/],
  [
    'a gzip body that is not gzip',
    { body: 'plain', headers: { 'content-encoding': 'gzip' } },
    400,
    /could not be read/,
  ],
  ['Content-Type text/plain', { body: '[]', type: 'text/plain' }, 415, /Content-Type/],
  ['no Content-Type', { body: '[]', type: null }, 415, /Content-Type/],
  ['a charset other than UTF-8', { body: '[]', type: 'application/json; charset=latin1' }, 415, /charset/],
  ['Content-Encoding br', { body: '[]', headers: { 'content-encoding': 'br' } }, 415, /Content-Encoding/],
  ['no token', { body: '[]', token: null }, 401, /Authorization/],
  ['an unknown token', { body: '[]', token: 'mh_not-a-real-token' }, 401, /unknown/],
  ['a malformed Authorization header', { body: '[]', headers: { authorization: 'Basic abc' } }, 401, /Bearer/],
];

describe('collector: the ingest contract over HTTP', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: { collector: string; api: string; close(): Promise<void> };
  let host: { id: string; token: string };
  let viewerToken: string;

  async function post(req: Req): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = {};
    const type = req.type === undefined ? 'application/json' : req.type;
    if (type !== null) headers['content-type'] = type;
    const token = req.token === undefined ? host.token : req.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const res = await fetch(`${svc.collector}/v1/events`, {
      method: 'POST',
      headers: { ...headers, ...req.headers },
      body: req.body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startOnly(config, ['collector', 'api']);
    host = await seedHost(svc.api, TEST_OPERATOR_TOKEN, ['acme', 'globex']);
    expect(
      (
        await call(`${svc.api}/v1/orgs/acme/members`, {
          token: TEST_OPERATOR_TOKEN,
          body: { email: 'v@acme.test', role: 'admin' },
        })
      ).status,
    ).toBe(201);
    viewerToken = (
      await call(`${svc.api}/v1/orgs/acme/tokens`, {
        token: TEST_OPERATOR_TOKEN,
        body: { email: 'v@acme.test', name: 't' },
      })
    ).body.token;
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it.each(BAD_EVENTS)('rejects an event: %s', async (_name, event, paths) => {
    const res = await post({ body: JSON.stringify([good(), event]) });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toHaveLength(1);
    const [rejection] = res.body.rejected;
    expect(rejection.index).toBe(1);
    expect(rejection.id).toBe(typeof (event as Json | null)?.['id'] === 'string' ? (event as Json)['id'] : null);
    expect(rejection.errors.map((e: { path: string }) => e.path)).toEqual(paths);
    for (const e of rejection.errors) expect(e.message).toEqual(expect.any(String));
  });

  it.each(BAD_REQUESTS)('refuses the whole request: %s', async (_name, req, status, detail) => {
    const res = await post(req);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    expect(res.body.detail).toMatch(detail);
  });

  it('refuses tokens that are not a host token: the operator and a member (403)', async () => {
    for (const token of [TEST_OPERATOR_TOKEN, viewerToken]) {
      const res = await post({ body: JSON.stringify([good()]), token });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('takes one structured event, a single event as application/json, a gzip batch; and they are in Kafka', async () => {
    const single = good({ id: 'single-1' });
    expect(
      (await post({ body: JSON.stringify(single), type: 'application/cloudevents+json; charset=utf-8' })).body,
    ).toEqual({ accepted: 1, rejected: [] });
    expect((await post({ body: JSON.stringify(good({ id: 'plain-1' })) })).body).toEqual({ accepted: 1, rejected: [] });
    const zipped = gzipSync(JSON.stringify([good({ id: 'gz-1' }), gpu({}, { id: 'gz-2' })]));
    const res = await post({
      body: zipped,
      type: 'application/cloudevents-batch+json',
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.body).toEqual({ accepted: 2, rejected: [] });
    const ids = (await readTopic(topics.kafka, topics.usage)).map((r) => decodeUsageEvent(r.value!).event.id);
    expect(ids).toEqual(expect.arrayContaining(['single-1', 'plain-1', 'gz-1']));
  });

  it('accepts the valid events of a mixed batch beside the invalid ones, in one answer, and only those reach Kafka', async () => {
    const mark = `mix-${NOW}`;
    const valid = [
      good({ id: `${mark}-a` }),
      gpu({}, { id: `${mark}-b` }),
      egress({ quantity: 1_000_000 }, { id: `${mark}-c` }),
      volume({ quantity: 0.25 }, { id: `${mark}-d` }),
    ];
    const batch: unknown[] = [];
    const expected: { index: number; paths: string[] }[] = [];
    BAD_EVENTS.forEach(([, event, paths], i) => {
      if (i < valid.length) batch.push(valid[i]);
      expected.push({ index: batch.length, paths });
      batch.push(event);
    });
    const res = await post({ body: JSON.stringify(batch), type: 'application/cloudevents-batch+json' });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(valid.length);
    expect(
      res.body.rejected.map((r: { index: number; errors: { path: string }[] }) => ({
        index: r.index,
        paths: r.errors.map((e) => e.path),
      })),
    ).toEqual(expected);
    const inKafka = (await readTopic(topics.kafka, topics.usage))
      .map((r) => decodeUsageEvent(r.value!).event)
      .filter((e) => e.id.startsWith(mark));
    expect(inKafka.map((e) => [e.id, e.sku, e.quantity]).sort()).toEqual([
      [`${mark}-a`, 'machine.runtime/shared-cpu-1x', '60'],
      [`${mark}-b`, 'gpu.runtime/a10', '60'],
      [`${mark}-c`, 'network.egress/na', '1000000'],
      [`${mark}-d`, 'volume.storage', '0.25'],
    ]);
  });

  it('accepts 10,000 events of one organization in one request (2 MB for one partition), all of them', async () => {
    const batch = Array.from({ length: 10_000 }, (_, i) => good({ id: `big-${i}` }, { org: 'globex' }));
    const res = await post({ body: JSON.stringify(batch), type: 'application/cloudevents-batch+json' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 10_000, rejected: [] });
    const globex = (await readTopic(topics.kafka, topics.usage)).filter((r) => r.key?.toString() === 'globex');
    expect(new Set(globex.map((r) => decodeUsageEvent(r.value!).event.id)).size).toBe(10_000);
  });

  it('counts accepted and rejected events, and refusals by reason, on /metrics', async () => {
    const metrics = (await call(`${svc.collector}/metrics`)).body as string;
    expect(metrics).toMatch(/collector_events_rejected_total\{reason="data.quantity",service="collector"\} \d+/);
    expect(metrics).toMatch(/collector_requests_refused_total\{reason="not_json",service="collector"\} 2/);
    expect(metrics).toMatch(
      /collector_requests_refused_total\{reason="unsupported_media_type",service="collector"\} 3/,
    );
    expect(metrics).toMatch(/collector_produce_batch_messages_count\{service="collector"\} [1-9]/);
    expect(metrics).toMatch(
      /collector_produce_duration_seconds_count\{service="collector",outcome="acknowledged"\} [1-9]/,
    );
    const accepted = Number(/collector_events_accepted_total\{service="collector"\} (\d+)/.exec(metrics)?.[1]);
    expect(accepted).toBe(BAD_EVENTS.length + 4 + 4 + 10_000);
  });

  it('refuses a revoked host at once', async () => {
    const other = await seedHost(svc.api, TEST_OPERATOR_TOKEN, [], 'host-2');
    expect((await post({ body: JSON.stringify([good()]), token: other.token })).status).toBe(202);
    expect(
      (await call(`${svc.api}/v1/hosts/${other.id}`, { method: 'DELETE', token: TEST_OPERATOR_TOKEN })).status,
    ).toBe(204);
    const res = await post({ body: JSON.stringify([good()]), token: other.token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers another method on /v1/events with 405 and Allow: POST, and an unknown path with 404', async () => {
    const wrong = await fetch(`${svc.collector}/v1/events`, {
      method: 'GET',
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect([wrong.status, wrong.headers.get('allow'), wrong.headers.get('content-type')]).toEqual([
      405,
      'POST',
      'application/problem+json; charset=utf-8',
    ]);
    expect(await wrong.json()).toMatchObject({
      status: 405,
      detail: 'GET is not allowed on /v1/events; allowed: POST',
    });
    expect((await fetch(`${svc.collector}/v1/nothing-here`, { method: 'GET' })).status).toBe(404);
  });
});
