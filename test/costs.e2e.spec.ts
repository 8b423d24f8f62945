import type { MeteringConfig } from '@metering/service';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, foldedToEnd, RunningServices, seedHost, startServices } from './support/services';
import { expectedCost, PostedEvent, skuOf, smallFleet } from './support/small-fleet';
import { Dec } from '@metering/domain';
import { isTimeZone } from '../apps/api/src/usage-query';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * GET /v1/orgs/{org}/costs over the real pipeline: amounts checked against sums made here
 * from the posted events and the price book, including a price change inside the range.
 */
describe('cost estimates', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  let host: { token: string };
  let viewer: string;
  let events: PostedEvent[];
  let prices: Map<string, string>;
  const op = TEST_OPERATOR_TOKEN;
  const currentHour = Math.floor(Date.now() / HOUR) * HOUR;
  const range = `from=${iso(currentHour - 24 * HOUR)}&to=${iso(currentHour + HOUR)}`;
  const costs = (q: string, headers: { token?: string } = {}) =>
    call(`${svc.api}/v1/orgs/acme/costs?${range}&${q}`, { token: headers.token ?? viewer });

  const post = async (batch: PostedEvent[]) => {
    const res = await call(`${svc.collector}/v1/events`, { token: host.token, body: batch });
    expect([res.status, res.body.rejected]).toEqual([202, []]);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 120_000);
  };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    host = await seedHost(svc.api, op, ['acme', 'globex']);
    await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'vic@acme.test', role: 'viewer' } });
    viewer = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'vic@acme.test' } })).body.token;
    events = smallFleet('acme', 6);
    await post(events);
    prices = new Map(
      (await call(`${svc.api}/v1/prices`, { token: viewer })).body.map((p: { sku: string; unit_price: string }) => [
        p.sku,
        p.unit_price,
      ]),
    );
  }, 180_000);

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('prices each SKU at the list price, per row rounded to cents, the total the exact sum rounded once', async () => {
    const res = await costs('granularity=total&group_by=sku');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      org: 'acme',
      granularity: 'total',
      tz: 'UTC',
      currency: 'USD',
      total: expectedCost(events, prices),
    });
    for (const row of res.body.rows) {
      const mine = events.filter((e) => skuOf(e) === row.sku);
      expect(row).toEqual({
        start: iso(currentHour - 24 * HOUR),
        end: iso(currentHour + HOUR),
        sku: row.sku,
        unit: expect.any(String),
        quantity: mine.reduce((s, e) => s.add(Dec.of(String(e.data.quantity))), Dec.ZERO).toString(),
        amount: expectedCost(mine, prices),
      });
    }
  });

  it('answers the top N resources by amount, with the total and count of all of them', async () => {
    const all = (await costs('granularity=total&group_by=resource')).body;
    const top = (await costs('granularity=total&group_by=resource&order=amount&limit=3')).body;
    expect(all.total_rows).toBe(15);
    const ranked = [...all.rows].sort((a, b) => Dec.of(b.amount).cmp(Dec.of(a.amount)));
    expect(top.rows.map((r: { resource: string }) => r.resource)).toEqual(ranked.slice(0, 3).map((r) => r.resource));
    expect([top.total, top.total_rows]).toEqual([all.total, 15]);
  });

  it('narrows to a resource and a region, read from the per-resource projection', async () => {
    const res = await costs('granularity=total&group_by=sku,region&resource=m_02&region=fra&region=ord');
    expect(
      res.body.rows.map((r: { sku: string; region: string; amount: string }) => [r.sku, r.region, r.amount]),
    ).toEqual([
      [
        'machine.runtime/performance-1x',
        'fra',
        expectedCost(events, prices, (e) => e.data.resource === 'm_02' && e.type === 'machine.runtime'),
      ],
      [
        'network.egress/eu',
        'fra',
        expectedCost(events, prices, (e) => e.data.resource === 'm_02' && e.type === 'network.egress'),
      ],
    ]);
  });

  it('cuts days at local midnight of the zone asked', async () => {
    const res = await costs('granularity=day&tz=Asia/Tokyo');
    expect(res.body.rows.length).toBeGreaterThan(0);
    for (const row of res.body.rows) expect(row.start).toMatch(/T15:00:00Z$/);
  });

  it('writes CSV with a header line', async () => {
    const res = await costs('granularity=total&group_by=region&format=csv');
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (res.body as string).trim().split('\n');
    expect(lines[0]).toBe('start,end,region,amount');
    expect(lines).toHaveLength(5);
  });

  it('reads whole days of resources from the daily rollup the fold keeps, also when late usage arrives for a day', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    // The day before yesterday: a whole past day that the fixture's last 6 hours never reach,
    // even when the tests run just after midnight (UTC).
    const day = today - DAY;
    const q = `from=${iso(today - 3 * DAY)}&to=${iso(today + DAY)}&granularity=total&group_by=resource,sku&resource=m_06`;
    const runtime = (e: PostedEvent) => e.data.resource === 'm_06' && e.type === 'machine.runtime';
    const lateEvent = (id: string, hoursBeforeMidnight: number, quantity: number): PostedEvent => {
      const e = { ...events.find(runtime)! };
      return {
        ...e,
        id,
        time: new Date(day - hoursBeforeMidnight * HOUR + 30 * 60_000).toISOString(),
        data: { ...e.data, quantity },
      };
    };
    const amountOf = (b: { rows: { sku: string; amount: string }[] }) =>
      b.rows.find((r) => r.sku === 'machine.runtime/performance-2x')?.amount ?? '0';
    const rolledUp = async () =>
      (
        await db.pool.query(
          `SELECT quantity::text AS q FROM usage_resource_day WHERE org = 'acme' AND day = $1 AND resource = 'm_06'`,
          [new Date(day - DAY).toISOString().slice(0, 10)],
        )
      ).rows.map((r) => r.q);

    // That day gets its first usage, in the fold's own transaction.
    events.push(lateEvent('late-1', 12, 1000));
    await post(events.slice(-1));
    const first = (await call(`${svc.api}/v1/orgs/acme/costs?${q}`, { token: viewer })).body;
    expect(amountOf(first)).toBe(expectedCost(events, prices, runtime));
    expect(await rolledUp()).toEqual(['1000']);

    // More usage for that day, once it was read: the day holds it, nothing read stale.
    events.push(lateEvent('late-2', 11, 2000));
    await post(events.slice(-1));
    const second = (await call(`${svc.api}/v1/orgs/acme/costs?${q}`, { token: viewer })).body;
    expect(amountOf(second)).toBe(expectedCost(events, prices, runtime));
    expect(second.total).toBe(expectedCost(events, prices, (e) => e.data.resource === 'm_06'));
    expect(await rolledUp()).toEqual(['3000']);
  });

  it('prices the hours after a price change at the new price, at once', async () => {
    const sku = 'machine.runtime/performance-2x';
    const change = currentHour - 3 * HOUR;
    const before = (await costs(`granularity=total&group_by=sku&sku=${sku}`)).body.total;
    await db.pool.query(
      `INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ($1, 'second', '0.0001', $2)`,
      [sku, new Date(change)],
    );
    const res = await costs(`granularity=hour&group_by=sku&sku=${sku}`);
    // Within the range asked (the rollup test above added events of the day before yesterday).
    const inRange = (e: PostedEvent) =>
      Date.parse(e.time) >= currentHour - 24 * HOUR && Date.parse(e.time) < currentHour + HOUR;
    const mine = events.filter((e) => skuOf(e) === sku && inRange(e));
    const early = mine.filter((e) => Date.parse(e.time) < change);
    const late = mine.filter((e) => Date.parse(e.time) >= change);
    expect(late.length).toBeGreaterThan(0);
    const expected = Dec.of(expectedCost(early, prices))
      .add(Dec.of(expectedCost(late, new Map([[sku, '0.0001']]))))
      .toFixed(2);
    expect(res.body.total).toBe(expected);
    expect(res.body.total).not.toBe(before);
    for (const row of res.body.rows) {
      const price = Date.parse(row.start) >= change ? '0.0001' : prices.get(sku)!;
      expect(row.amount).toBe(Dec.of(row.quantity).mul(Dec.of(price)).toFixed(2));
    }
  });

  it('revalidates with the ETag, and a fold of new usage changes the answer at once', async () => {
    const first = await costs('granularity=total&group_by=region');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await fetch(`${svc.api}/v1/orgs/acme/costs?${range}&granularity=total&group_by=region`, {
      headers: { authorization: `Bearer ${viewer}`, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const more = smallFleet('acme', 1).map((e) => ({ ...e, id: `late-${e.id}` }));
    await post(more);
    const after = await costs('granularity=total&group_by=region');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(Dec.of(after.body.total).cmp(Dec.of(first.body.total))).toBe(1);
  });

  it('refuses bad parameters naming each, and keeps other organizations out', async () => {
    const bad = await costs('group_by=planet&order=size&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['group_by', 'order', 'limit']);
    expect((await call(`${svc.api}/v1/orgs/globex/costs?${range}`, { token: viewer })).status).toBe(404);
  });

  it('answers 400 naming tz, on usage and on costs alike, for a zone Intl knows and Postgres does not', async () => {
    // ICU keeps zones the tz database dropped; Postgres reads its own copy of that database.
    const candidates = ['US/Pacific-New', 'Canada/East-Saskatchewan'];
    const inPostgres = new Set(
      (
        await db.pool.query<{ name: string }>('SELECT name FROM pg_timezone_names WHERE name = ANY($1)', [candidates])
      ).rows.map((r) => r.name),
    );
    const zone = candidates.find((z) => !inPostgres.has(z) && isTimeZone(z));
    if (zone === undefined)
      throw new Error(
        `every one of ${candidates.join(', ')} is known to both Intl and Postgres, or to neither: name another`,
      );
    for (const endpoint of ['usage', 'costs']) {
      for (const q of [
        `${range}&granularity=day`,
        `from=${new Date(currentHour).toISOString().slice(0, 10)}&to=${new Date(currentHour + DAY).toISOString().slice(0, 10)}`,
      ]) {
        const res = await call(`${svc.api}/v1/orgs/acme/${endpoint}?${q}&tz=${encodeURIComponent(zone)}`, {
          token: viewer,
        });
        expect([endpoint, res.status, res.headers.get('content-type')]).toEqual([
          endpoint,
          400,
          expect.stringContaining('application/problem+json'),
        ]);
        expect(res.body).toMatchObject({
          status: 400,
          title: 'bad request',
          errors: [{ path: 'tz', message: expect.stringContaining(zone) }],
        });
      }
    }
  });
});
