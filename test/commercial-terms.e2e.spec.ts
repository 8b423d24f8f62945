import { periodBounds, periodOf } from '@metering/domain';
import type { MeteringConfig } from '@metering/service';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, startOnly } from './support/services';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const HOUR = 3_600_000;
const TIERS = [
  { up_to: '3600', unit_price: '0' },
  { up_to: null, unit_price: '0.000694' },
];

/**
 * Commercial terms as data (CONTRACT.md, "Commercial terms"): the billing team sets prices,
 * commitments and credits on the invoicing service; customers read back the list price book, the
 * prices that apply to them and their credits on the API. Real Postgres, the services in-process.
 */
describe('commercial terms, end to end', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: { api: string; invoicing: string; close(): Promise<void> };
  const op = TEST_OPERATOR_TOKEN;
  const tokens: Record<string, string> = {};

  const current = periodOf(Date.now());
  const open = periodOf(periodBounds(current).from - 1); // last month, not closed
  const closed = periodOf(periodBounds(open).from - 1); // the month before, closed
  const nextMonth = periodBounds(current).to;

  const billing = (path: string, opts: Parameters<typeof call>[1] = {}) =>
    call(`${svc.invoicing}/v1/billing${path}`, { token: op, ...opts });
  const postPrice = (body: unknown) => billing('/prices', { body });
  const auditOf = async (action: string) =>
    (
      await db.pool.query<{ org: string | null; actor: string; subject: string; details: Record<string, any> }>(
        `SELECT org, actor, subject, details FROM audit_log WHERE action = $1 ORDER BY id`,
        [action],
      )
    ).rows;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startOnly(config, ['api', 'invoicing']);
    for (const slug of ['acme', 'globex', 'initech'])
      expect((await call(`${svc.api}/v1/orgs`, { token: op, body: { slug, name: slug } })).status).toBe(201);
    for (const [org, email, role] of [
      ['acme', 'vic@acme.test', 'viewer'],
      ['acme', 'bill@acme.test', 'billing'],
      ['globex', 'gil@globex.test', 'viewer'],
    ] as const) {
      await call(`${svc.api}/v1/orgs/${org}/members`, { token: op, body: { email, role } });
      tokens[email] = (await call(`${svc.api}/v1/orgs/${org}/tokens`, { token: op, body: { email } })).body.token;
    }
    await db.pool.query(`INSERT INTO period_closes (period, positions, invoices) VALUES ($1, '{}', 0)`, [
      `${closed}-01`,
    ]);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('refuses each fault of a price entry with 400 and its path', async () => {
    const from = iso(nextMonth);
    const cases: [string, Record<string, unknown>, string][] = [
      ['unknown SKU', { sku: 'gpu.runtime/h100', effective_from: from, unit_price: '1' }, 'sku'],
      ['unknown org', { sku: 'ip.dedicated', effective_from: from, org: 'nobody', unit_price: '1' }, 'org'],
      ['not a decimal', { sku: 'ip.dedicated', effective_from: from, unit_price: '-1' }, 'unit_price'],
      ['a number, not a string', { sku: 'ip.dedicated', effective_from: from, unit_price: 0.5 }, 'unit_price'],
      ['13 places', { sku: 'ip.dedicated', effective_from: from, unit_price: '0.0000000000001' }, 'unit_price'],
      ['both', { sku: 'ip.dedicated', effective_from: from, unit_price: '1', tiers: TIERS }, 'tiers'],
      ['neither', { sku: 'ip.dedicated', effective_from: from }, 'unit_price'],
      [
        'tiers not ascending',
        {
          sku: 'ip.dedicated',
          effective_from: from,
          tiers: [
            { up_to: '100', unit_price: '0' },
            { up_to: '50', unit_price: '1' },
            { up_to: null, unit_price: '1' },
          ],
        },
        'tiers[1].up_to',
      ],
      [
        'a null up_to before the last',
        {
          sku: 'ip.dedicated',
          effective_from: from,
          tiers: [
            { up_to: null, unit_price: '0' },
            { up_to: null, unit_price: '1' },
          ],
        },
        'tiers[0].up_to',
      ],
      [
        'off the hour',
        { sku: 'ip.dedicated', effective_from: iso(nextMonth + 60_000), unit_price: '1' },
        'effective_from',
      ],
    ];
    for (const [what, body, path] of cases) {
      const res = await postPrice(body);
      expect([what, res.status]).toEqual([what, 400]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, type: expect.any(String), title: expect.any(String) });
      expect([what, res.body.errors.map((e: { path: string }) => e.path)]).toEqual([
        what,
        expect.arrayContaining([path]),
      ]);
    }
    // Several faults at once: every one is named.
    const many = await postPrice({ sku: 'nope', effective_from: 'soon', org: 'nobody', unit_price: 'x' });
    expect(many.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      ['effective_from', 'org', 'sku', 'unit_price'].sort(),
    );
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM prices`)).rows[0].n).toBe(21);
  });

  it('sets a contract price (201 with the entry and its id) and a scheduled tiered list price', async () => {
    const contract = await postPrice({
      sku: 'gpu.runtime/a10',
      effective_from: iso(periodBounds(open).from),
      org: 'acme',
      unit_price: '0.0003',
    });
    expect(contract.status).toBe(201);
    expect(contract.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      sku: 'gpu.runtime/a10',
      org: 'acme',
      unit: 'second',
      unit_price: '0.0003',
      tiers: null,
      tier_mode: null,
      effective_from: iso(periodBounds(open).from),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      created_by: 'operator',
    });
    const tiered = await postPrice({
      sku: 'gpu.runtime/a10',
      effective_from: iso(nextMonth),
      tiers: TIERS,
      tier_mode: 'volume',
    });
    expect(tiered.status).toBe(201);
    expect(tiered.body).toMatchObject({ org: null, unit_price: null, tiers: TIERS, tier_mode: 'volume' });
    // Tiers without a mode are graduated.
    const graduated = await postPrice({ sku: 'gpu.runtime/l40s', effective_from: iso(nextMonth), tiers: TIERS });
    expect(graduated.body).toMatchObject({ tier_mode: 'graduated', unit_price: null });
  });

  it('refuses with 409 an entry inside or before a closed month, and the same (sku, org, effective_from) twice', async () => {
    for (const at of [periodBounds(closed).from + 5 * 24 * HOUR, periodBounds(closed).from - 24 * HOUR]) {
      const res = await postPrice({ sku: 'ip.dedicated', effective_from: iso(at), unit_price: '0.000001' });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ status: 409, reason: 'closed-month' });
      expect(res.body.detail).toContain(closed);
    }
    const twice = await postPrice({ sku: 'gpu.runtime/a10', effective_from: iso(nextMonth), unit_price: '0.0004' });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ reason: 'duplicate' });
    // The same hour for another organization is another entry.
    const globex = await postPrice({
      sku: 'gpu.runtime/a10',
      effective_from: iso(nextMonth),
      org: 'initech',
      unit_price: '0.0002',
    });
    expect(globex.status).toBe(201);
  });

  it('lists the entries, scheduled ones too, by sku, org and effective_from; ?org= only that organization', async () => {
    const all = await billing('/prices');
    expect(all.status).toBe(200);
    const a10 = all.body.filter((e: { sku: string }) => e.sku === 'gpu.runtime/a10');
    expect(a10.map((e: { org: string | null; effective_from: string }) => [e.org, e.effective_from])).toEqual([
      [null, '2020-01-01T00:00:00Z'],
      [null, iso(nextMonth)],
      ['acme', iso(periodBounds(open).from)],
      ['initech', iso(nextMonth)],
    ]);
    const keys = all.body.map((e: { sku: string }) => e.sku);
    expect(keys).toEqual([...keys].sort());
    const acme = await billing('/prices?org=acme');
    expect(acme.body.map((e: { org: string }) => e.org)).toEqual(['acme']);
    expect((await billing('/prices?org=nobody')).status).toBe(404);
  });

  it('removes a scheduled entry (204), and refuses one in force (409) or unknown (404)', async () => {
    const scheduled = await postPrice({
      sku: 'ip.dedicated',
      effective_from: iso(nextMonth + 24 * HOUR),
      unit_price: '0.000001',
    });
    expect(scheduled.status).toBe(201);
    expect((await billing(`/prices/${scheduled.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await billing('/prices')).body.map((e: { id: string }) => e.id)).not.toContain(scheduled.body.id);
    expect((await billing(`/prices/${scheduled.body.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await billing(`/prices/not-an-id`, { method: 'DELETE' })).status).toBe(404);

    const acme = (await billing('/prices?org=acme')).body[0];
    const inForce = await billing(`/prices/${acme.id}`, { method: 'DELETE' });
    expect(inForce.status).toBe(409);
    expect(inForce.body).toMatchObject({ reason: 'in-force' });
    const seed = (await billing('/prices')).body.find((e: { sku: string }) => e.sku === 'ip.dedicated');
    expect((await billing(`/prices/${seed.id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('audits every price change with the operator and what it replaced', async () => {
    const set = await auditOf('price.set');
    const a10List = set.find((a) => a.details.entry.sku === 'gpu.runtime/a10' && a.details.entry.org === null)!;
    expect(a10List).toMatchObject({ org: null, actor: 'operator', subject: a10List.details.entry.id });
    expect(a10List.details).toMatchObject({
      via: 'api',
      entry: { tiers: TIERS, tier_mode: 'volume' },
      replaces: { sku: 'gpu.runtime/a10', org: null, unit_price: '0.000417', effective_from: '2020-01-01T00:00:00Z' },
    });
    const a10Acme = set.find((a) => a.details.entry.org === 'acme')!;
    expect(a10Acme).toMatchObject({ org: 'acme', actor: 'operator' });
    expect(a10Acme.details['replaces']).toBeNull(); // acme's first contract entry for it
    const removed = await auditOf('price.remove');
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({
      org: null,
      actor: 'operator',
      details: { via: 'api', removed: { sku: 'ip.dedicated', unit_price: '0.000001' } },
    });
  });

  it('sets monthly minimums: 201, 409 for a closed month, 404 for an unknown org, 400 with paths; lists them; audits what each replaced', async () => {
    const first = await billing('/orgs/acme/commitments', { body: { monthly_minimum: '1000.00', from: open } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      org: 'acme',
      monthly_minimum: '1000.00',
      from: open,
      created_at: expect.any(String),
      created_by: 'operator',
    });
    const second = await billing('/orgs/acme/commitments', { body: { monthly_minimum: '0', from: current } });
    expect(second.status).toBe(201);
    expect(second.body.monthly_minimum).toBe('0.00');
    const refused = await billing('/orgs/acme/commitments', { body: { monthly_minimum: '10', from: closed } });
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('closed-month');
    expect((await billing('/orgs/nobody/commitments', { body: { monthly_minimum: '1', from: current } })).status).toBe(
      404,
    );
    const bad = await billing('/orgs/acme/commitments', { body: { monthly_minimum: '1.234', from: '2026-13' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['from', 'monthly_minimum']);
    const list = await billing('/orgs/acme/commitments');
    expect(list.body.map((c: { from: string; monthly_minimum: string }) => [c.from, c.monthly_minimum])).toEqual([
      [open, '1000.00'],
      [current, '0.00'],
    ]);
    const audited = await auditOf('commitment.set');
    expect(audited).toHaveLength(2);
    expect(audited[0]!.details['replaces']).toBeNull();
    expect(audited[1]).toMatchObject({
      org: 'acme',
      actor: 'operator',
      details: { commitment: { from: current }, replaces: { from: open, monthly_minimum: '1000.00' } },
    });
  });

  it('grants credits (201), lists them with what remains on both services, and audits the grant', async () => {
    const grant = await billing('/orgs/acme/credits', {
      body: { amount: '500.00', reason: 'outage 2026-11-14', expires_at: '2027-06-30T00:00:00Z' },
    });
    expect(grant.status).toBe(201);
    expect(grant.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      org: 'acme',
      amount: '500.00',
      remaining: '500.00',
      reason: 'outage 2026-11-14',
      granted_at: expect.stringMatching(/Z$/),
      expires_at: '2027-06-30T00:00:00Z',
    });
    const open2 = await billing('/orgs/acme/credits', { body: { amount: '20', reason: 'goodwill' } });
    expect(open2.body).toMatchObject({ amount: '20.00', expires_at: null });
    const bad = await billing('/orgs/acme/credits', { body: { amount: '0', reason: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['amount', 'reason']);
    expect((await billing('/orgs/nobody/credits', { body: { amount: '1', reason: 'x' } })).status).toBe(404);

    const listed = await billing('/orgs/acme/credits');
    expect(listed.body).toEqual([grant.body, open2.body]);
    const api = await call(`${svc.api}/v1/orgs/acme/credits`, { token: tokens['bill@acme.test'] });
    expect(api.status).toBe(200);
    expect(api.body).toEqual([grant.body, open2.body]);
    expect((await call(`${svc.api}/v1/orgs/acme/credits`, { token: tokens['vic@acme.test'] })).status).toBe(403);
    expect((await call(`${svc.api}/v1/orgs/acme/credits`, { token: tokens['gil@globex.test'] })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/globex/credits`, { token: op })).body).toEqual([]);

    const audited = await auditOf('credit.grant');
    expect(audited[0]).toMatchObject({
      org: 'acme',
      actor: 'operator',
      subject: grant.body.id,
      details: { grant: grant.body },
    });
  });

  it('keeps /v1/prices the list price book: tiered entries with tiers, never a contract price', async () => {
    const res = await call(`${svc.api}/v1/prices`, { token: tokens['gil@globex.test'] });
    expect(res.status).toBe(200);
    expect(res.body.some((p: { unit_price: string }) => p.unit_price === '0.0003' || p.unit_price === '0.0002')).toBe(
      false,
    );
    const a10 = res.body.filter((p: { sku: string }) => p.sku === 'gpu.runtime/a10');
    expect(a10).toEqual([
      { sku: 'gpu.runtime/a10', unit: 'second', unit_price: '0.000417', effective_from: '2020-01-01T00:00:00Z' },
      {
        sku: 'gpu.runtime/a10',
        unit: 'second',
        unit_price: null,
        effective_from: iso(nextMonth),
        tiers: TIERS,
        tier_mode: 'volume',
      },
    ]);
  });

  it("lists the prices that apply to an organization, marked list or contract, and never another organization's", async () => {
    const acme = await call(`${svc.api}/v1/orgs/acme/prices`, { token: tokens['vic@acme.test'] });
    expect(acme.status).toBe(200);
    const a10 = acme.body.filter((p: { sku: string }) => p.sku === 'gpu.runtime/a10');
    // acme's contract entry replaces the list's, the scheduled list change included.
    expect(a10).toEqual([
      {
        sku: 'gpu.runtime/a10',
        unit: 'second',
        unit_price: '0.0003',
        effective_from: iso(periodBounds(open).from),
        source: 'contract',
      },
    ]);
    const l40s = acme.body.filter((p: { sku: string }) => p.sku === 'gpu.runtime/l40s');
    expect(l40s.map((p: { source: string; effective_from: string }) => [p.source, p.effective_from])).toEqual([
      ['list', '2020-01-01T00:00:00Z'],
      ['list', iso(nextMonth)],
    ]);
    expect(acme.body).toHaveLength(22); // 21 SKUs, one of them with a scheduled change

    const globex = await call(`${svc.api}/v1/orgs/globex/prices`, { token: tokens['gil@globex.test'] });
    expect(globex.status).toBe(200);
    expect(globex.body.every((p: { source: string }) => p.source === 'list')).toBe(true);
    expect(globex.body.filter((p: { sku: string }) => p.sku === 'gpu.runtime/a10')).toEqual([
      {
        sku: 'gpu.runtime/a10',
        unit: 'second',
        unit_price: '0.000417',
        effective_from: '2020-01-01T00:00:00Z',
        source: 'list',
      },
      {
        sku: 'gpu.runtime/a10',
        unit: 'second',
        unit_price: null,
        effective_from: iso(nextMonth),
        tiers: TIERS,
        tier_mode: 'volume',
        source: 'list',
      },
    ]);
    const initech = await call(`${svc.api}/v1/orgs/initech/prices`, { token: op });
    expect(
      initech.body
        .filter((p: { sku: string }) => p.sku === 'gpu.runtime/a10')
        .map((p: { source: string; unit_price: string | null }) => [p.source, p.unit_price]),
    ).toEqual([
      ['list', '0.000417'],
      ['contract', '0.0002'],
    ]);

    expect((await call(`${svc.api}/v1/orgs/acme/prices`, { token: tokens['gil@globex.test'] })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/nobody/prices`, { token: op })).status).toBe(404);
  });

  it('serializes a price change with the close of its month: a price posted while the month closes is refused, never half', async () => {
    // A close holds the billing lock while it writes; here a connection holds it, closes last month and lets go.
    const closer = await db.pool.connect();
    try {
      await closer.query('SELECT pg_advisory_lock($1)', [0x6d65746572]);
      const posted = postPrice({
        sku: 'ip.dedicated',
        effective_from: iso(periodBounds(open).from + 24 * HOUR),
        unit_price: '0.000001',
      });
      await new Promise((r) => setTimeout(r, 300)); // the POST is now waiting for the lock
      await closer.query(`INSERT INTO period_closes (period, positions, invoices) VALUES ($1, '{}', 0)`, [
        `${open}-01`,
      ]);
      await closer.query('SELECT pg_advisory_unlock($1)', [0x6d65746572]);
      const res = await posted;
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ reason: 'closed-month' });
    } finally {
      closer.release();
    }
  });

  it('takes the operator token only on the invoicing service, and answers odd input without a 500', async () => {
    expect((await billing('/prices', { token: tokens['bill@acme.test'] })).status).toBe(403);
    expect((await billing('/orgs/acme/credits', { token: tokens['bill@acme.test'], body: {} })).status).toBe(403);
    expect((await call(`${svc.invoicing}/v1/billing/prices`)).status).toBe(401);
    // Odd paths and queries are answered, never a 500.
    expect((await billing('/orgs/a%00b/credits')).status).toBe(400);
    expect((await billing(`/orgs/${'x'.repeat(300)}/commitments`)).status).toBe(404);
    expect((await billing('/prices?org=acme&org=globex')).status).toBe(400);
    expect((await billing('/prices/99999999999999999999999', { method: 'DELETE' })).status).toBe(404);
  });
});
