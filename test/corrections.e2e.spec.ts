import { periodBounds, periodOf } from '@metering/domain';
import type { MeteringConfig } from '@metering/service';
import { CloseService } from '../apps/invoicing/src/close.service';
import { verify } from '../apps/invoicing/src/verify';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, eventually, foldedToEnd, RunningServices, startServices } from './support/services';

const HOUR = 3_600_000;
const SKU = 'machine.runtime/performance-1x';

/**
 * Corrections for real: through the invoicing API, the outbox, usage.events.v1 and the
 * aggregator's fold, into usage, estimates, the next invoice, reconcile and verify.
 */
describe('corrections, end to end', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  let host: string;
  let viewer: string;

  const now = Date.now();
  const current = periodOf(now);
  const previous = periodOf(periodBounds(current).from - 1);
  const lastMonth = new Date(periodBounds(current).from - 12 * HOUR).toISOString();
  // The last whole hour of this month (the collector takes nothing from the future).
  const thisMonth = new Date(Math.max(periodBounds(current).from, Math.floor(now / HOUR) * HOUR - HOUR)).toISOString();
  let seq = 0;
  const usage = (time: string, quantity: number) => ({
    specversion: '1.0',
    id: `ev-${++seq}`,
    source: 'host/ord-1',
    type: 'machine.runtime',
    time,
    data: { org: 'acme', region: 'ord', resource: 'm_1', app: 'web', size: 'performance-1x', quantity },
  });
  const correction = (id: string, time: string, quantity: string, extra: Record<string, unknown> = {}) => ({
    id,
    org: 'acme',
    time,
    region: 'ord',
    app: 'web',
    resource: 'm_1',
    sku: SKU,
    quantity,
    reason: 'host double-reported',
    ...extra,
  });
  const correct = (body: unknown, token = op) =>
    call(`${svc.invoicing}/v1/billing/corrections`, { token, body, method: 'POST' });
  const statuses = async (): Promise<Record<string, string>> => {
    const res = await call(`${svc.invoicing}/v1/billing/corrections?org=acme`, { token: op });
    return Object.fromEntries(res.body.map((c: { id: string; status: string }) => [c.id, c.status]));
  };
  const decided = (ids: string[]) =>
    eventually(
      async () => {
        const s = await statuses();
        return ids.every((id) => s[id] && s[id] !== 'pending') ? s : undefined;
      },
      30_000,
      `corrections ${ids.join(', ')} folded`,
    );
  const hourOfMonth = async (time: string): Promise<string> => {
    const res = await call(
      `${svc.api}/v1/orgs/acme/usage?from=${time}&to=${new Date(Date.parse(time) + HOUR).toISOString()}&granularity=hour`,
      { token: viewer },
    );
    expect(res.status).toBe(200);
    return res.body.rows[0]?.quantity ?? '0';
  };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    expect((await call(`${svc.api}/v1/orgs`, { token: op, body: { slug: 'acme', name: 'Acme' } })).status).toBe(201);
    host = (await call(`${svc.api}/v1/hosts`, { token: op, body: { name: 'ord-1' } })).body.token;
    await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'vic@acme.test', role: 'viewer' } });
    viewer = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'vic@acme.test' } })).body.token;
    const res = await call(`${svc.collector}/v1/events`, {
      token: host,
      body: [usage(lastMonth, 7200), usage(thisMonth, 3600)],
    });
    expect(res.body).toMatchObject({ accepted: 2, rejected: [] });
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
    expect((await svc.apps.invoicing.get(CloseService).close(previous)).created).toBe(1);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('refuses bad input with the path of each fault, and anyone but the operator', async () => {
    const bad = await correct({ ...correction('', thisMonth, '1.5'), sku: 'machine.runtime/nope', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'id', 'sku']);
    const fraction = await correct(correction('c-frac', thisMonth, '-1.5'));
    expect(fraction.body.errors).toEqual([{ path: 'quantity', message: expect.stringContaining('whole number') }]);
    expect((await correct(correction('c-org', thisMonth, '-1', { org: 'nobody' }))).body.errors).toEqual([
      { path: 'org', message: expect.any(String) },
    ]);
    expect((await correct(correction('c-viewer', thisMonth, '-1'), viewer)).status).toBe(403);
    const future = new Date(now + 3_600_000).toISOString();
    expect((await correct(correction('c-future', future, '1'))).body.errors).toEqual([
      { path: 'time', message: expect.stringContaining('future') },
    ]);
  });

  it('changes the open month once per id, however often it is sent, and audits it', async () => {
    const body = correction('c-open', thisMonth, '-600');
    const first = await correct(body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: 'c-open', status: 'pending', quantity: '-600', requested_by: 'operator' });
    expect((await correct(body)).status).toBe(202);
    expect((await decided(['c-open']))['c-open']).toBe('applied');
    expect((await correct(body)).status).toBe(202); // after it was folded too
    await eventually(async () =>
      (await db.pool.query('SELECT 1 FROM outbox WHERE sent_at IS NULL')).rowCount === 0 ? true : undefined,
    );
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
    expect(await hourOfMonth(thisMonth)).toBe('3000');
    const estimate = await call(`${svc.api}/v1/orgs/acme/usage/current`, { token: viewer });
    expect(JSON.stringify(estimate.body)).toContain('"3000"');
    // Another content under a used id is a conflict, not a second correction.
    expect((await correct({ ...body, quantity: '-60' })).status).toBe(409);
    const audited = await db.pool.query(
      `SELECT actor, subject FROM audit_log WHERE action = 'correction.request' AND subject = 'c-open'`,
    );
    expect(audited.rows).toEqual([{ actor: 'operator', subject: 'c-open' }]);
  });

  it('answers 422 to a correction that would take the hour below zero now', async () => {
    const res = await correct(correction('c-too-much', thisMonth, '-3001'));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'quantity', message: expect.stringContaining('3000') }]);
    expect((await statuses())['c-too-much']).toBeUndefined();
  });

  it('lets the fold decide a race: of two that each fit alone, the second is refused and changes nothing', async () => {
    const [a, b] = await Promise.all([
      correct(correction('c-race-a', thisMonth, '-2000')),
      correct(correction('c-race-b', thisMonth, '-2000')),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const s = await decided(['c-race-a', 'c-race-b']);
    expect([s['c-race-a'], s['c-race-b']].sort()).toEqual(['applied', 'refused']);
    const metrics = await call(`${svc.aggregator}/metrics`);
    expect(metrics.body).toMatch(/aggregator_corrections_total\{[^}]*outcome="refused"[^}]*\} 1\n/);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
    expect(await hourOfMonth(thisMonth)).toBe('1000');
  });

  it('bills a closed month’s correction as a negative adjustment on the next invoice; reconcile and verify stay clean', async () => {
    expect((await correct(correction('c-closed', lastMonth, '-3600'))).status).toBe(202);
    expect((await decided(['c-closed']))['c-closed']).toBe('applied');
    const reconcile = await call(`${svc.invoicing}/v1/billing/reconcile`, { token: op });
    expect(reconcile.body.differences).toEqual([
      expect.objectContaining({ org: 'acme', usage_period: previous, sku: SKU, projected: '3600', billed: '7200' }),
    ]);
    const result = await svc.apps.invoicing.get(CloseService).close(current, { now: periodBounds(current).to });
    expect(result.created).toBe(1);
    const lines = (
      await db.pool.query(
        `SELECT kind, to_char(usage_period, 'YYYY-MM') AS usage_period, quantity::text, amount::text FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number
        WHERE i.number = $1 ORDER BY kind`,
        [result.invoices[0]!.number],
      )
    ).rows;
    expect(lines).toEqual(
      expect.arrayContaining([
        // Repriced whole: 3,600 s x 0.0000124 = 0.04, less the 0.09 billed for 7,200 s.
        expect.objectContaining({ kind: 'adjustment', usage_period: previous, quantity: '-3600', amount: '-0.05' }),
      ]),
    );
    expect((await call(`${svc.invoicing}/v1/billing/reconcile`, { token: op })).body.differences).toEqual([]);
    const report = await verify(config);
    expect(report.periods.map((p) => [p.period, p.matched, p.invoices, p.mismatched])).toEqual([
      [previous, 1, 1, []],
      [current, 1, 1, []],
    ]);
    expect(report.ok).toBe(true);
  });
});
