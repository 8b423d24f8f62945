import type { MeteringConfig } from '@metering/service';
import { Dec } from '@metering/domain';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { machineId, SeededFleet, seedMachines } from './support/machines';
import { call, eventually, foldedToEnd, RunningServices, seedHost, startServices } from './support/services';

const HOUR = 3_600_000;
const MACHINES = 10_000;
const iso = (d: Date | number) => new Date(d).toISOString().replace('.000Z', 'Z');

type Summary = { resource: string; region: string; app: string; skus: string[]; cost: string; quantity: string };

/**
 * GET /v1/orgs/{org}/resources and /resources/{resource} over an organization of 10,000
 * machines (written into the projections directly), with real folds through the collector and
 * the aggregator between pages: the cursor neither skips nor repeats, costs are the costs
 * endpoint's (a contract price included), and bad input is a 400 naming the parameter.
 */
describe('machines at scale: the resources endpoints', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  let host: { token: string };
  let viewer: string;
  let fleet: SeededFleet;
  const op = TEST_OPERATOR_TOKEN;
  const endHour = Math.floor(Date.now() / HOUR) * HOUR;
  // The window reaches past the current hour, where the folds below add usage.
  let window: string;
  const list = (q: string, token = viewer) => call(`${svc.api}/v1/orgs/acme/resources?${window}&${q}`, { token });

  let seq = 0;
  const post = async (
    events: { org: string; resource: string; quantity: number; size?: string; region?: string }[],
  ) => {
    const body = events.map((e) => ({
      specversion: '1.0',
      id: `r-${seq++}`,
      source: 'host/test',
      type: 'machine.runtime',
      time: new Date(Date.now() - 5_000).toISOString(),
      data: {
        org: e.org,
        app: 'web',
        resource: e.resource,
        region: e.region ?? 'ord',
        quantity: e.quantity,
        size: e.size ?? 'shared-cpu-1x',
      },
    }));
    const res = await call(`${svc.collector}/v1/events`, { token: host.token, body });
    expect([res.status, res.body.rejected]).toEqual([202, []]);
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 120_000);
  };

  /** Every page of a query, and what `between(i)` does after page i. */
  const walk = async (q: string, between: (i: number, page: Summary[]) => Promise<void> = async () => {}) => {
    const pages: Summary[][] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res = await list(`${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.body.resources);
      cursor = res.body.next_cursor;
      if (cursor === null) break;
      await between(i, res.body.resources);
    }
    return pages;
  };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startServices(config);
    host = await seedHost(svc.api, op, ['acme', 'globex']);
    await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'vic@acme.test', role: 'viewer' } });
    viewer = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'vic@acme.test' } })).body.token;
    fleet = await seedMachines(db.pool, 'acme', { machines: MACHINES, hours: 24, endHour });
    window = `from=${iso(fleet.from)}&to=${iso(endHour + HOUR)}`;
    // acme's contract price for one size, from before the window: both endpoints must apply it.
    const month = new Date(fleet.from);
    const contractFrom = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
    const price = await call(`${svc.invoicing}/v1/billing/prices`, {
      token: op,
      body: {
        sku: 'machine.runtime/performance-4x',
        org: 'acme',
        effective_from: iso(contractFrom),
        unit_price: '0.0001',
      },
    });
    expect(price.status).toBe(201);
    await post([{ org: 'globex', resource: 'g_only_globex', quantity: 60 }]);
  }, 300_000);

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('ranks by cost, highest first and ties by id, with the costs endpoint’s amounts (contract price included)', async () => {
    const res = await list('limit=1000');
    expect(res.status).toBe(200);
    expect(res.body.matched).toBe(MACHINES);
    const page: Summary[] = res.body.resources;
    expect(page).toHaveLength(1000);
    for (let i = 1; i < page.length; i++) {
      const c = Dec.of(page[i - 1]!.cost).cmp(Dec.of(page[i]!.cost));
      expect(c > 0 || (c === 0 && page[i - 1]!.resource < page[i]!.resource)).toBe(true);
    }
    const costs = await call(
      `${svc.api}/v1/orgs/acme/costs?${window}&granularity=total&group_by=resource&order=amount&limit=1000`,
      { token: viewer },
    );
    const byResource = new Map(
      costs.body.rows.map((r: { resource: string; amount: string }) => [r.resource, r.amount]),
    );
    for (const s of page) expect([s.resource, byResource.get(s.resource)]).toEqual([s.resource, s.cost]);
    // Machine 3 is performance-4x (3 % 4), in fra for db; 24 hours of 3,600 s at the contract's 0.0001.
    const m3 = (await list(`q=${machineId(3)}`)).body.resources[0];
    expect(m3).toMatchObject({
      resource: machineId(3),
      region: 'fra',
      app: 'db',
      skus: ['machine.runtime/performance-4x'],
      quantity: '86400',
      cost: '8.64',
    });
  });

  it('pages a search that matches all 10,000 machines, and none is skipped or repeated while folds go on', async () => {
    // Sorts just after m_000000 (machine 0), so before any cursor past the first page.
    const before = 'm_0000000';
    const pages = await walk('q=m_&sort=resource&limit=1000', async (i, page) => {
      if (i === 0 || i === 4) {
        const last = page[page.length - 1]!.resource;
        // New resources before and after the cursor, and more usage of ones already shown and still to come.
        await post([
          { org: 'acme', resource: `${before}${i}`, quantity: 3600 },
          { org: 'acme', resource: `m_zzz_new_${i}`, quantity: 3600 },
          { org: 'acme', resource: page[0]!.resource, quantity: 3600 },
          { org: 'acme', resource: fleet.resources[9999]!, quantity: 3600 },
          { org: 'acme', resource: last, quantity: 3600 },
        ]);
      }
    });
    const seen = pages.flat().map((s) => s.resource);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen.filter((r) => !r.includes('_new_') && !r.startsWith(before))).toEqual(fleet.resources);
    expect(pages.length).toBeGreaterThanOrEqual(10);
    // Resources that appeared meanwhile show once the list kept while a newer one is priced is replaced (at most 5 s).
    await eventually(async () => {
      const ids = (await list('q=m_zzz_new_&sort=resource')).body.resources.map((s: Summary) => s.resource);
      return ids.length === 2 ? ids : undefined;
    }, 15_000);
  }, 180_000);

  it('does not repeat a resource by cost when the costs of shown ones grow between pages', async () => {
    const pages = await walk('sort=cost&limit=500', async (i, page) => {
      if (i < 2) await post(page.slice(0, 3).map((s) => ({ org: 'acme', resource: s.resource, quantity: 7200 })));
    });
    const seen = pages.flat().map((s) => s.resource);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(MACHINES);
  }, 180_000);

  it('matches any part of an id with match=contains, and named ids with resource=', async () => {
    const id = machineId(1234);
    const res = await list(`q=${id.slice(3, 7)}&match=contains&limit=50`);
    expect(res.status).toBe(200);
    expect(res.body.resources.map((s: Summary) => s.resource)).toContain(id);
    for (const s of res.body.resources) expect(s.resource).toContain(id.slice(3, 7));
    const named = await list(`resource=${machineId(2)}&resource=${machineId(1)}&resource=m_none&sort=resource`);
    expect(named.body.resources.map((s: Summary) => s.resource)).toEqual([machineId(1), machineId(2)].sort());
    expect(named.body.matched).toBe(2);
  });

  it('answers one resource’s hours per SKU with cost, and its days', async () => {
    const id = machineId(5); // shared-cpu-2x in lhr for web, and no egress (only every 4th)
    const res = await call(`${svc.api}/v1/orgs/acme/resources/${id}?from=${iso(fleet.from)}&to=${iso(endHour)}`, {
      token: viewer,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resource: id,
      region: 'lhr',
      app: 'web',
      skus: ['machine.runtime/shared-cpu-2x'],
    });
    expect(res.body.rows).toHaveLength(24);
    const prices = (await call(`${svc.api}/v1/prices`, { token: viewer })).body as {
      sku: string;
      unit_price: string;
    }[];
    const unit = Dec.of(prices.find((p) => p.sku === 'machine.runtime/shared-cpu-2x')!.unit_price);
    for (const [i, row] of res.body.rows.entries()) {
      expect(Dec.of(row.cost_exact).cmp(unit.mul(Dec.of('3600')))).toBe(0);
      expect(row).toEqual({
        start: iso(fleet.from.getTime() + i * HOUR),
        end: iso(fleet.from.getTime() + (i + 1) * HOUR),
        sku: 'machine.runtime/shared-cpu-2x',
        unit: 'second',
        quantity: '3600',
        cost: unit.mul(Dec.of('3600')).toFixed(2),
        cost_exact: row.cost_exact,
      });
    }
    expect(res.body.by_sku).toEqual([
      {
        sku: 'machine.runtime/shared-cpu-2x',
        unit: 'second',
        quantity: '86400',
        cost: unit.mul(Dec.of('86400')).toFixed(2),
      },
    ]);
    expect(res.body.total).toBe(unit.mul(Dec.of('86400')).toFixed(2));
    const days = await call(
      `${svc.api}/v1/orgs/acme/resources/${id}?from=${iso(fleet.from)}&to=${iso(endHour)}&granularity=day`,
      { token: viewer },
    );
    expect(days.status).toBe(200);
    expect(
      days.body.rows.reduce((s: Dec, r: { quantity: string }) => s.add(Dec.of(r.quantity)), Dec.ZERO).toString(),
    ).toBe('86400');
  });

  it('refuses bad input with 400 naming the parameter, and hides other organizations’ resources', async () => {
    const fault = async (q: string) => {
      const res = await list(q);
      expect(res.status).toBe(400);
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await fault('limit=1001')).toEqual(['limit']);
    expect(await fault('limit=0')).toEqual(['limit']);
    expect(await fault('sort=price')).toEqual(['sort']);
    expect(await fault('cursor=not-a-cursor!')).toEqual(['cursor']);
    const first = await list('q=m_1&limit=5');
    expect(first.body.next_cursor).toEqual(expect.any(String));
    // The same cursor with another query: another prefix, another sort, another window.
    expect(await fault(`q=m_2&limit=5&cursor=${first.body.next_cursor}`)).toEqual(['cursor']);
    expect(await fault(`q=m_1&sort=resource&limit=5&cursor=${first.body.next_cursor}`)).toEqual(['cursor']);
    const other = await call(
      `${svc.api}/v1/orgs/acme/resources?from=${iso(fleet.from)}&to=${iso(endHour)}&q=m_1&cursor=${first.body.next_cursor}`,
      { token: viewer },
    );
    expect([other.status, other.body.errors?.[0]?.path]).toEqual([400, 'cursor']);
    // Only the limit may change between pages.
    expect((await list(`q=m_1&limit=7&cursor=${first.body.next_cursor}`)).status).toBe(200);
    const missing = await call(`${svc.api}/v1/orgs/acme/resources?q=m_`, { token: viewer });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['from', 'to']);
    const badGrain = await call(`${svc.api}/v1/orgs/acme/resources/${machineId(1)}?${window}&granularity=week`, {
      token: viewer,
    });
    expect([badGrain.status, badGrain.body.errors[0].path]).toEqual([400, 'granularity']);
    // globex's resource, through acme: as unknown as one that never existed.
    for (const id of ['g_only_globex', 'm_never_was'])
      expect((await call(`${svc.api}/v1/orgs/acme/resources/${id}?${window}`, { token: viewer })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/globex/resources?${window}`, { token: viewer })).status).toBe(404);
    expect((await call(`${svc.api}/v1/orgs/globex/resources/g_only_globex?${window}`, { token: op })).body.region).toBe(
      'ord',
    );
  });
});
