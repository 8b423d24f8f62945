import type { Pool } from 'pg';
import { decodeBillingEvent } from '@metering/kafka';
import { periodBounds, periodOf } from '@metering/domain';
import { CloseService } from '../apps/invoicing/src/close.service';
import { verify } from '../apps/invoicing/src/verify';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, eventually, foldedToEnd, RunningServices, startServices } from './support/services';
import type { MeteringConfig } from '@metering/service';

/**
 * The billing team's month end, for real: usage posted through the collector and folded by
 * the aggregator is closed into invoices; late usage becomes adjustments; a void issues a
 * credit note; the database refuses to change what was issued.
 */
describe('invoicing, end to end', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  let host: string;
  let billing: string;
  let viewer: string;

  const now = Date.now();
  const current = periodOf(now);
  const previous = periodOf(periodBounds(current).from - 1);
  const lastDayNoon = new Date(periodBounds(current).from - 12 * 3_600_000).toISOString();
  let seq = 0;
  const event = (type: string, org: string, data: Record<string, unknown>) => ({
    specversion: '1.0',
    id: `ev-${++seq}`,
    source: 'host/ord-1',
    type,
    time: lastDayNoon,
    data: { org, region: 'ord', resource: 'm_1', app: 'web', ...data },
  });
  const post = async (events: unknown[]) => {
    const res = await call(`${svc.collector}/v1/events`, { token: host, body: events });
    expect(res.body).toMatchObject({ accepted: events.length, rejected: [] });
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
  };
  const close = (period: string, token = op) =>
    call(`${svc.invoicing}/v1/billing/periods/${period}/close`, { method: 'POST', token });

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    for (const [slug, name] of [
      ['acme', 'Acme Corp'],
      ['globex', 'Globex'],
      ['initech', 'Initech'],
    ]) {
      expect((await call(`${svc.api}/v1/orgs`, { token: op, body: { slug, name } })).status).toBe(201);
    }
    host = (await call(`${svc.api}/v1/hosts`, { token: op, body: { name: 'ord-1' } })).body.token;
    for (const [email, role] of [
      ['bill@acme.test', 'billing'],
      ['vic@acme.test', 'viewer'],
    ]) {
      await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email, role } });
    }
    billing = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'bill@acme.test' } })).body
      .token;
    viewer = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'vic@acme.test' } })).body.token;
    await post([
      event('machine.runtime', 'acme', { size: 'performance-1x', quantity: 2_592_000 }), // x 0.0000124 = 32.1408
      event('volume.storage', 'acme', { quantity: 259_200_000 }), // x 0.0000000578704 = 15.00000768
      event('network.egress', 'globex', { quantity: 50_000_000_000 }), // x 0.00000000002 = 1.00
    ]);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('closes a month into one invoice per organization with usage, numbered in slug order; two closes at once make them once', async () => {
    const [a, b] = await Promise.all([close(previous), close(previous)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.created + b.body.created).toBe(2);
    expect(a.body.invoices).toEqual(b.body.invoices);
    expect(a.body.invoices).toEqual([
      { number: 'INV-000001', org: 'acme', total: '47.14', content_hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { number: 'INV-000002', org: 'globex', total: '1.00', content_hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    const again = await close(previous);
    expect(again.body).toEqual({ period: previous, created: 0, invoices: a.body.invoices });
  });

  it('shows the invoice line by line to the organization’s billing members, and only to them', async () => {
    const res = await call(`${svc.api}/v1/orgs/acme/invoices/INV-000001`, { token: billing });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      number: 'INV-000001',
      org: 'acme',
      period: previous,
      currency: 'USD',
      status: 'issued',
      total: '47.14',
    });
    expect(res.body.lines).toEqual([
      expect.objectContaining({
        kind: 'usage',
        sku: 'machine.runtime/performance-1x',
        usage_period: previous,
        quantity: '2592000',
        unit: 'second',
        unit_price: '0.0000124',
        amount: '32.14',
      }),
      expect.objectContaining({
        kind: 'usage',
        sku: 'volume.storage',
        quantity: '259200000',
        unit: 'gb-second',
        unit_price: '0.0000000578704',
        amount: '15.00',
      }),
    ]);
    expect((await call(`${svc.api}/v1/orgs/acme/invoices/INV-000001`, { token: viewer })).status).toBe(403);
    expect((await call(`${svc.api}/v1/orgs/acme/invoices/INV-000002`, { token: billing })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/globex/invoices/INV-000002`, { token: billing })).status).toBe(404);
    const html = await call(`${svc.api}/v1/orgs/acme/invoices/INV-000001?format=html`, { token: billing });
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.body).toContain('INV-000001');
    expect(html.body).toContain('$47.14');
    expect(html.body).toContain(res.body.content_hash);
  });

  it('refuses to close a month that has not ended, a malformed period, and a non-operator', async () => {
    expect((await close(current)).status).toBe(409);
    expect((await close('2026-13')).status).toBe(400);
    expect((await close(previous, billing)).status).toBe(403);
    expect((await close(previous, 'nope')).status).toBe(401);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of issued documents in the database itself', async () => {
    const pool: Pool = db.pool;
    await expect(pool.query(`UPDATE invoices SET total = 0 WHERE number = 'INV-000001'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query(`DELETE FROM invoice_lines WHERE invoice_number = 'INV-000001'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('TRUNCATE credit_notes CASCADE')).rejects.toThrow(/append-only/);
    await expect(pool.query(`UPDATE period_closes SET invoices = 0`)).rejects.toThrow(/append-only/);
  });

  it('bills usage that arrives after the close once, as an adjustment on the next invoice', async () => {
    await post([event('machine.runtime', 'acme', { size: 'performance-1x', quantity: 3600 })]);
    const reconcile = await call(`${svc.invoicing}/v1/billing/reconcile`, { token: op });
    expect(reconcile.body.differences).toEqual([
      {
        org: 'acme',
        usage_period: previous,
        sku: 'machine.runtime/performance-1x',
        projected: '2595600',
        billed: '2592000',
        projected_amount: '32.19',
        billed_amount: '32.14',
      },
    ]);
    // The month priced again less what was billed: 2,595,600 s x 0.0000124 = 32.19 at once, 32.14
    // billed, so 0.05 (not 3,600 s x 0.0000124 rounded alone, 0.04): the month's lines add up to
    // pricing its final usage at once, to the cent.
    const preview = await call(`${svc.invoicing}/v1/billing/preview?org=acme&period=${current}`, { token: op });
    expect(preview.body).toMatchObject({ number: null, org: 'acme', period: current, total: '0.05' });
    expect(preview.body.lines).toEqual([
      expect.objectContaining({ kind: 'adjustment', usage_period: previous, quantity: '3600', amount: '0.05' }),
    ]);

    // Close this month as if it had ended.
    const closing = svc.apps.invoicing.get(CloseService);
    const result = await closing.close(current, { now: periodBounds(current).to });
    expect(result.invoices).toEqual([
      { number: 'INV-000003', org: 'acme', total: '0.05', content_hash: expect.any(String) },
    ]);
    expect((await call(`${svc.invoicing}/v1/billing/reconcile`, { token: op })).body.differences).toEqual([]);
    expect(
      (await call(`${svc.invoicing}/v1/billing/preview?org=acme&period=${current}`, { token: op })).body.lines,
    ).toEqual([]);
  });

  it('voids an invoice with a credit note negating every line, numbered from the same sequence, once', async () => {
    const v = await call(`${svc.invoicing}/v1/billing/invoices/INV-000001/void`, { method: 'POST', token: op });
    expect(v.status).toBe(201);
    expect(v.body).toMatchObject({ number: 'CN-000004', invoice: 'INV-000001', org: 'acme', total: '-47.14' });
    expect(v.body.lines.map((l: { amount: string }) => l.amount)).toEqual(['-32.14', '-15.00']);
    const again = await call(`${svc.invoicing}/v1/billing/invoices/INV-000001/void`, { method: 'POST', token: op });
    expect([again.status, again.body.number]).toEqual([200, 'CN-000004']);
    const invoice = await call(`${svc.api}/v1/orgs/acme/invoices/INV-000001`, { token: billing });
    expect([invoice.body.status, invoice.body.total]).toEqual(['void', '47.14']);
    expect(
      (await call(`${svc.api}/v1/orgs/acme/credit-notes`, { token: billing })).body.map(
        (c: { number: string }) => c.number,
      ),
    ).toEqual(['CN-000004']);
    expect(
      (await call(`${svc.invoicing}/v1/billing/invoices/INV-000099/void`, { method: 'POST', token: op })).status,
    ).toBe(404);
  });

  it('publishes every finalized invoice and credit note to Kafka as Avro, through the outbox', async () => {
    const consumer = topics.kafka.consumer({ groupId: `test-invoices-${Date.now()}` });
    const seen = new Map<string, string>();
    await consumer.connect();
    await consumer.subscribe({ topic: topics.invoices, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = decodeBillingEvent(message.value!);
        seen.set(e.number, `${e.type} ${e.total}`);
      },
    });
    try {
      await eventually(async () => (seen.size >= 4 ? true : undefined), 20_000, 'four billing events');
      expect(Object.fromEntries(seen)).toEqual({
        'INV-000001': 'invoice.finalized 47.14',
        'INV-000002': 'invoice.finalized 1.00',
        'INV-000003': 'invoice.finalized 0.05',
        'CN-000004': 'credit_note.issued -47.14',
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('verifies: projections rebuilt from Kafka and every close replayed at its recorded positions give the same hashes', async () => {
    const report = await verify(config);
    expect(report.periods.map((p) => [p.period, p.matched, p.invoices, p.mismatched, p.missing, p.extra])).toEqual([
      [previous, 2, 2, [], [], []],
      [current, 1, 1, [], [], []],
    ]);
    expect(report.ok).toBe(true);
    // A stored hash that the log does not produce is caught (triggers lifted by the superuser, for this test only).
    await db.pool.query('ALTER TABLE invoices DISABLE TRIGGER invoices_immutable');
    await db.pool.query(`UPDATE invoices SET content_hash = repeat('0', 64) WHERE number = 'INV-000002'`);
    await db.pool.query('ALTER TABLE invoices ENABLE TRIGGER invoices_immutable');
    const tampered = await verify(config);
    expect(tampered.ok).toBe(false);
    expect(tampered.periods[0]!.mismatched).toEqual(['INV-000002']);
  });
});
