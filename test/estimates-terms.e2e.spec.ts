import type { MeteringConfig } from '@metering/service';
import { CostRepository, TermsRepository } from '@metering/db';
import { asCheckedOrg, Dec } from '@metering/domain';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, foldedToEnd, RunningServices, seedHost, startServices } from './support/services';
import type { PostedEvent } from './support/small-fleet';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const SHARED = 'machine.runtime/shared-cpu-1x'; // acme: a flat contract price
const PERF = 'machine.runtime/performance-1x'; // acme: graduated contract tiers with a free allowance
const VOLUME = 'volume.storage'; // acme: volume contract tiers

/**
 * The estimates (usage/current and costs) under each organization's own terms, over the real
 * pipeline: acme has contract prices (flat, graduated, volume) and a credit grant, globex only
 * the list prices and a monthly minimum. All usage is in the current month, so the test holds
 * at any hour of it (tiers count per calendar month).
 */
describe('estimates under commercial terms', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  const op = TEST_OPERATOR_TOKEN;
  const now = Date.now();
  const currentHour = Math.floor(now / HOUR) * HOUR;
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  // Up to four hours of this month, the current one included (only it, in the month's first hour).
  const hours = [0, 1, 2, 3].map((k) => currentHour - k * HOUR).filter((h) => h >= monthStart);
  const range = `from=${iso(monthStart)}&to=${iso(currentHour + HOUR)}`;
  let list: Map<string, string>;
  let n = 0;

  const event = (org: string, type: string, app: string, quantity: number, size?: string): PostedEvent => {
    const h = hours[n % hours.length]!;
    n++;
    return {
      specversion: '1.0',
      id: `e-${n}`,
      source: 'host/ord-1',
      type,
      time: new Date(h + Math.min(30 * 60_000, Math.max(0, now - h - 5_000))).toISOString(),
      data: { org, app, resource: `r_${n}`, region: 'ord', quantity, ...(size ? { size } : {}) },
    };
  };
  const events: PostedEvent[] = [
    event('acme', 'machine.runtime', 'web', 900_000, 'shared-cpu-1x'),
    event('acme', 'machine.runtime', 'api', 900_000, 'shared-cpu-1x'),
    event('acme', 'machine.runtime', 'web', 3000, 'performance-1x'),
    event('acme', 'machine.runtime', 'api', 4000, 'performance-1x'),
    event('acme', 'machine.runtime', 'web', 9000, 'performance-1x'),
    event('acme', 'machine.runtime', 'api', 12000, 'performance-1x'),
    event('acme', 'volume.storage', 'web', 400_000),
    event('acme', 'volume.storage', 'api', 700_000),
    event('globex', 'machine.runtime', 'web', 900_000, 'shared-cpu-1x'),
    event('globex', 'machine.runtime', 'web', 900_000, 'shared-cpu-1x'),
    event('globex', 'machine.runtime', 'web', 10000, 'performance-1x'),
  ];

  const current = async (org: string) => (await call(`${svc.api}/v1/orgs/${org}/usage/current`, { token: op })).body;
  const costs = async (org: string, q: string) =>
    (await call(`${svc.api}/v1/orgs/${org}/costs?${range}&${q}`, { token: op })).body;
  const brief = (
    lines: { kind: string; sku: string | null; quantity: string | null; unit_price: string | null; amount: string }[],
  ) => lines.map((l) => [l.kind, l.sku, l.quantity, l.unit_price, l.amount]);

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    const host = await seedHost(svc.api, op, ['acme', 'globex']);
    // The terms, as the billing team's API would write them; written here directly, as the owner.
    const from = new Date(monthStart);
    await db.pool.query(
      `INSERT INTO prices (sku, org, unit, unit_price, tiers, tier_mode, effective_from) VALUES
         ($1, 'acme', 'second', 0.000001, NULL, NULL, $4),
         ($2, 'acme', 'second', NULL, '[{"up_to": "5000", "unit_price": "0"}, {"up_to": "20000", "unit_price": "0.0001"}, {"up_to": null, "unit_price": "0.00005"}]', 'graduated', $4),
         ($3, 'acme', 'gb-second', NULL, '[{"up_to": "1000000", "unit_price": "0.00001"}, {"up_to": null, "unit_price": "0.000005"}]', 'volume', $4)`,
      [SHARED, PERF, VOLUME, from],
    );
    await db.pool.query(`INSERT INTO credit_grants (org, amount, reason) VALUES ('acme', 2.00, 'outage')`);
    await db.pool.query(`INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('globex', $1, 1000.00)`, [
      from.toISOString().slice(0, 10),
    ]);
    const res = await call(`${svc.collector}/v1/events`, { token: host.token, body: events });
    expect([res.status, res.body.rejected]).toEqual([202, []]);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 120_000);
    list = new Map(
      (
        await db.pool.query<{ sku: string; p: string }>(
          `SELECT sku, unit_price::text AS p FROM prices WHERE org IS NULL`,
        )
      ).rows.map((r) => [r.sku, r.p]),
    );
  }, 180_000);

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it("prices acme's month so far at its contract prices: a line per graduated tier reached, the volume tier the month reaches, and its credit as a line, the total Σ lines", async () => {
    const body = await current('acme');
    // performance-1x: 28000 s = 5000 free + 15000 × 0.0001 + 8000 × 0.00005; volume: 1.1 M GB-s all at the second tier.
    expect(brief(body.lines)).toEqual([
      ['usage', PERF, '5000', '0', '0.00'],
      ['usage', PERF, '15000', '0.0001', '1.50'],
      ['usage', PERF, '8000', '0.00005', '0.40'],
      ['usage', SHARED, '1800000', '0.000001', '1.80'],
      ['usage', VOLUME, '1100000', '0.000005', '5.50'],
      ['credit', null, null, null, '-2.00'],
    ]);
    expect(body.lines[5]).toMatchObject({ unit: null, description: expect.stringContaining('Credit') });
    expect(body.total).toBe('7.20');
    expect(Dec.of(body.forecast).cmp(Dec.of(body.total))).toBeGreaterThanOrEqual(0);
  });

  it("prices globex at the list prices, never at acme's, with a minimum line up to its commitment", async () => {
    const body = await current('globex');
    const shared = Dec.of('1800000').mul(Dec.of(list.get(SHARED)!));
    const perf = Dec.of('10000').mul(Dec.of(list.get(PERF)!));
    const used = Dec.of(shared.toFixed(2)).add(Dec.of(perf.toFixed(2)));
    expect(brief(body.lines)).toEqual([
      ['usage', PERF, '10000', list.get(PERF), perf.toFixed(2)],
      ['usage', SHARED, '1800000', list.get(SHARED), shared.toFixed(2)],
      ['minimum', null, null, null, Dec.of('1000').sub(used).toFixed(2)],
    ]);
    expect(body.total).toBe('1000.00');
    expect(Dec.of(body.forecast).cmp(Dec.of('1000'))).toBeGreaterThanOrEqual(0);
  });

  it("estimates acme's costs at its contract prices and globex's at the list prices", async () => {
    const acme = await costs('acme', 'granularity=total&group_by=sku');
    expect(acme.rows.map((r: { sku: string; amount: string }) => [r.sku, r.amount])).toEqual([
      [PERF, '1.90'],
      [SHARED, '1.80'],
      [VOLUME, '5.50'],
    ]);
    expect(acme.total).toBe('9.20');
    const globex = await costs('globex', 'granularity=total&group_by=sku');
    const exact = Dec.of('1800000')
      .mul(Dec.of(list.get(SHARED)!))
      .add(Dec.of('10000').mul(Dec.of(list.get(PERF)!)));
    expect(globex.total).toBe(exact.toFixed(2));
  });

  it("gives each hour of a graduated SKU its share of the month's tiered amount: the hours add up to usage/current's tier lines", async () => {
    const tierLines = (await current('acme')).lines.filter((l: { sku: string | null }) => l.sku === PERF);
    const lines = tierLines.reduce((s: Dec, l: { amount: string }) => s.add(Dec.of(l.amount)), Dec.ZERO);
    const hourly = await costs('acme', `granularity=hour&group_by=sku,app&sku=${PERF}`);
    // The total is the exact sum of the hours rounded once; the lines round once each, so in
    // general the two differ by at most half a cent per line. With these quantities both are exact: 1.90.
    expect(hourly.total).toBe(lines.toFixed(2));
    expect(hourly.total).toBe('1.90');
    const rounded = hourly.rows.reduce((s: Dec, r: { amount: string }) => s.add(Dec.of(r.amount)), Dec.ZERO);
    expect(Math.abs(Number(rounded.sub(lines).toString()))).toBeLessThanOrEqual(0.005 * hourly.rows.length);
    // Per resource, read from the per-resource projection (and its daily rollup for whole past days): the same.
    const perResource = await costs('acme', 'granularity=total&group_by=resource');
    expect(perResource.total).toBe('9.20');
  });

  it("keeps acme's cached answers when another organization's contract changes, and answers anew when acme's does", async () => {
    const url = `${svc.api}/v1/orgs/acme/costs?${range}&granularity=total&group_by=sku`;
    const repo = new CostRepository(db.pool, new TermsRepository(db.pool));
    const watermark = () => repo.watermark(asCheckedOrg('acme'), new Date(monthStart), new Date(currentHour + HOUR));
    const first = await fetch(url, { headers: { authorization: `Bearer ${op}` } });
    const etag = first.headers.get('etag')!;
    const revalidate = () => fetch(url, { headers: { authorization: `Bearer ${op}`, 'if-none-match': etag } });
    const before = await watermark();
    // A contract price of globex's, in force from this hour: acme's answers stay as they are, and cached.
    await db.pool.query(
      `INSERT INTO prices (sku, org, unit, unit_price, effective_from) VALUES ($1, 'globex', 'second', 0.0000001, $2)`,
      [SHARED, new Date(currentHour)],
    );
    expect(await watermark()).toBe(before);
    expect((await revalidate()).status).toBe(304);
    // acme's own, from this hour (some of its shared-cpu usage is in it): answered anew at once.
    await db.pool.query(
      `INSERT INTO prices (sku, org, unit, unit_price, effective_from) VALUES ($1, 'acme', 'second', 0.0000001, $2)`,
      [SHARED, new Date(currentHour)],
    );
    expect(await watermark()).not.toBe(before);
    const after = await revalidate();
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    const rows = ((await after.json()) as { rows: { sku: string; amount: string }[] }).rows;
    expect(Dec.of(rows.find((r) => r.sku === SHARED)!.amount).cmp(Dec.of('1.80'))).toBe(-1);
  });

  // Needs two whole past days of this month before today (the daily rollup's least), so from the 3rd on.
  const today = Math.floor(now / 86_400_000) * 86_400_000;
  (today - 2 * 86_400_000 >= monthStart ? it : it.skip)(
    'reads the day in which a graduated tier is crossed from the hourly rows, the other whole days from the rollup, and the resources add up to the tier lines',
    async () => {
      // Yesterday, before every other hour: it now crosses the free allowance (5000 free + 1000 at 0.0001).
      const late = { ...event('acme', 'machine.runtime', 'web', 6000, 'performance-1x'), id: 'late-perf' };
      late.time = new Date(today - 86_400_000 + 10.5 * HOUR).toISOString();
      const host = await seedHost(svc.api, op, [], 'host-2');
      const res = await call(`${svc.collector}/v1/events`, { token: host.token, body: [late] });
      expect([res.status, res.body.rejected]).toEqual([202, []]);
      await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 120_000);
      const tiers = (await current('acme')).lines.filter((l: { sku: string | null }) => l.sku === PERF);
      // 34000 s: 5000 free, 15000 × 0.0001, 14000 × 0.00005.
      expect(tiers.map((l: { amount: string }) => l.amount)).toEqual(['0.00', '1.50', '0.70']);
      const bySku = await costs('acme', `granularity=total&group_by=sku&sku=${PERF}`);
      const byResource = await costs('acme', `granularity=total&group_by=resource&sku=${PERF}`);
      expect([bySku.total, byResource.total]).toEqual(['2.20', '2.20']);
      const built = await db.pool.query(`SELECT count(*)::int AS n FROM usage_resource_day WHERE org = 'acme'`);
      expect(built.rows[0].n).toBeGreaterThan(0);
    },
  );
});
