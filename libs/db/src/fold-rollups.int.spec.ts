import { asValidatedOrg } from '@metering/domain';
import type { Pool } from 'pg';
import { foldColumns, FoldInput, UsageColumns } from '@metering/metering';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { LIVE_TABLES } from './projection-tables';
import { ProjectionStore } from './projection.store';
import { GroupKey, UsageQuery, UsageRepository } from './usage.repository';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 21, 10, 30);

/** A small deterministic generator, so that a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Events as hosts send them: mostly now, some late (hours and days back, across a month end),
 * some re-sent (the same source, id and time), over two organizations, apps, regions and SKUs.
 */
function stream(seed: number, n: number): FoldInput[] {
  const random = lcg(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const out: FoldInput[] = [];
  for (let i = 0; i < n; i++) {
    if (out.length > 0 && random() < 0.1) {
      out.push(pick(out)); // a re-send
      continue;
    }
    const late = random() < 0.3 ? Math.floor(random() * 25 * 24) * HOUR : Math.floor(random() * 3) * HOUR;
    out.push({
      id: `e${i}`,
      source: pick(['host/a', 'host/b']),
      time: NOW - late - Math.floor(random() * HOUR),
      org: asValidatedOrg(pick(['acme', 'globex'])),
      app: pick(['web', 'db', '']),
      region: pick(['ord', 'fra']),
      sku: pick(['machine.runtime/shared-cpu-1x', 'volume.storage', 'ip.dedicated']),
      resource: pick(['m_1', 'm_2', 'm_3', 'vol_1']),
      quantity: String(1 + Math.floor(random() * 600)),
    });
  }
  return out;
}

/** Applies the events in batches of `size` at consecutive offsets of one partition. */
async function fold(store: ProjectionStore, events: FoldInput[], size: number, partition = 0): Promise<void> {
  for (let first = 0; first < events.length; first += size) {
    const part = events.slice(first, first + size);
    const columns = UsageColumns.of(part);
    await store.applyBatch(
      { group: 'g', topic: 'usage', partition },
      {
        offsets: part.map((_, i) => first + i),
        keys: columns,
        firstOffset: BigInt(first),
        nextOffset: BigInt(first + part.length),
      },
      (fresh) => foldColumns(columns, fresh),
    );
  }
}

/** Rows in one query's answer and not the other's, both ways (empty: equal as multisets). */
async function difference(pool: Pool, a: string, b: string): Promise<unknown[]> {
  const { rows } = await pool.query(`(${a} EXCEPT ALL ${b}) UNION ALL (${b} EXCEPT ALL ${a})`);
  return rows;
}

const DAILY_OF_HOURLY = `SELECT org, (hour AT TIME ZONE 'UTC')::date AS day, sku, app, region, sum(quantity) AS quantity, sum(events)::bigint AS events
                           FROM usage_hourly GROUP BY 1, 2, 3, 4, 5`;
const DAILY = 'SELECT org, day, sku, app, region, quantity, events FROM usage_daily';
const DAYS_OF_RESOURCES = `SELECT org, (hour AT TIME ZONE 'UTC')::date AS day, sku, app, region, resource, sum(quantity) AS quantity, sum(events)::bigint AS events
                             FROM usage_resource_hourly GROUP BY 1, 2, 3, 4, 5, 6`;
const RESOURCE_DAYS = 'SELECT org, day, sku, app, region, resource, quantity, events FROM usage_resource_day';

describe('the rollups the fold keeps (real Postgres)', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  it('given batches of current, late and re-sent events over many days, then each daily rollup equals its projection summed per UTC day', async () => {
    const store = new ProjectionStore(db.pool);
    await store.ensureSeenWindow(NOW);
    const events = stream(11, 3000);
    await fold(store, events.slice(0, 1500), 97, 0);
    await fold(store, events.slice(1500), 250, 1);
    const { rows } = await db.pool.query<{ days: number; n: number }>(
      'SELECT count(DISTINCT day)::int AS days, count(*)::int AS n FROM usage_resource_day',
    );
    expect(rows[0]!.days).toBeGreaterThan(20); // the late events did reach other days
    expect(await difference(db.pool, DAILY_OF_HOURLY, DAILY)).toEqual([]);
    expect(await difference(db.pool, DAYS_OF_RESOURCES, RESOURCE_DAYS)).toEqual([]);
    // And the projections hold each distinct event once: the rollups sum the same events.
    const distinct = new Set(events.map((e) => `${e.source}|${e.id}`)).size;
    const total = await db.pool.query<{ n: string }>('SELECT sum(events)::text AS n FROM usage_daily');
    expect(Number(total.rows[0]!.n)).toBe(distinct);
  });

  it('given a late event for a day already rolled up, then that day grows by exactly its quantity', async () => {
    const store = new ProjectionStore(db.pool);
    await store.ensureSeenWindow(NOW);
    const base = stream(5, 400);
    await fold(store, base, 100);
    const dayOf = (t: number) => new Date(Math.floor(t / DAY) * DAY).toISOString().slice(0, 10);
    const late: FoldInput = { ...base[0]!, id: 'late', time: NOW - 3 * DAY, quantity: '1234', resource: 'm_late' };
    const q = `SELECT coalesce(sum(quantity), 0)::text AS q FROM usage_daily WHERE org = $1 AND day = $2 AND sku = $3`;
    const before = (await db.pool.query(q, [late.org, dayOf(late.time), late.sku])).rows[0].q;
    await fold(store, [...base, late], 401); // redelivered from offset 0: only the late one is new
    const after = (await db.pool.query(q, [late.org, dayOf(late.time), late.sku])).rows[0].q;
    expect(Number(after) - Number(before)).toBe(1234);
    const resourceDay = await db.pool.query(
      `SELECT quantity::text AS q FROM usage_resource_day WHERE resource = 'm_late'`,
    );
    expect(resourceDay.rows).toEqual([{ q: '1234' }]);
    expect(await difference(db.pool, DAYS_OF_RESOURCES, RESOURCE_DAYS)).toEqual([]);
  });

  it('given a store without the rollups (the design before them), then the projections it writes are the same', async () => {
    const events = stream(23, 800);
    const { daily: _d, resourceDays: _r, ...without } = LIVE_TABLES;
    const bare = new ProjectionStore(db.pool, without);
    await bare.ensureSeenWindow(NOW);
    await fold(bare, events, 200);
    const hourly = await db.pool.query('SELECT * FROM usage_hourly ORDER BY 1, 2, 3, 4, 5');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM usage_daily')).rows[0].n).toBe(0);
    await db.pool.query('TRUNCATE usage_hourly, usage_resource_hourly, usage_monthly, consumer_offsets');
    await db.pool.query('DELETE FROM seen_events');
    await fold(new ProjectionStore(db.pool), events, 200);
    expect((await db.pool.query('SELECT * FROM usage_hourly ORDER BY 1, 2, 3, 4, 5')).rows).toEqual(hourly.rows);
    expect(await difference(db.pool, DAILY_OF_HOURLY, DAILY)).toEqual([]);
  });

  it('given usage by day and by month in UTC (read from the rollups), then it equals the same question summed from the hours', async () => {
    const store = new ProjectionStore(db.pool);
    await store.ensureSeenWindow(NOW);
    await fold(store, stream(31, 2000), 300);
    const repo = new UsageRepository(db.pool);
    // Etc/GMT has UTC's days but is not taken for UTC: it sums the hourly rows.
    const ask = (granularity: 'day' | 'month', groupBy: GroupKey[], tz: string): UsageQuery => ({
      from: new Date(NOW - 20 * DAY - 5 * HOUR),
      to: new Date(NOW + HOUR),
      granularity,
      tz,
      groupBy,
      filters: { region: [], app: [], sku: [] },
    });
    for (const granularity of ['day', 'month'] as const)
      for (const groupBy of [['region'], ['app', 'resource']] as GroupKey[][]) {
        const fromRollups = await repo.usage(asValidatedOrg('acme'), ask(granularity, groupBy, 'UTC'));
        expect(fromRollups.length).toBeGreaterThan(0);
        expect(fromRollups).toEqual(await repo.usage(asValidatedOrg('acme'), ask(granularity, groupBy, 'Etc/GMT')));
      }
  });
});
