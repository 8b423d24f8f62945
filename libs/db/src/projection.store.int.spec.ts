import { asValidatedOrg } from '@metering/domain';
import { Pool } from 'pg';
import { foldColumns, FoldInput, UsageColumns } from '@metering/metering';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { createPool } from './pool';
import { KeyedBatch, PartitionPosition, ProjectionStore } from './projection.store';

const T = Date.UTC(2026, 10, 21, 10, 30);
const pos = (partition = 3): PartitionPosition => ({ group: 'g', topic: 'usage', partition });
const e = (id: string, quantity = 1, source = 'host/a', resource = 'm_1'): FoldInput => ({
  id,
  source,
  time: T,
  org: asValidatedOrg('acme'),
  app: '',
  region: 'ord',
  sku: 'ip.dedicated',
  resource,
  quantity: String(quantity),
});

/** A batch of these events at consecutive offsets from `first`, and its fold. */
function batch(
  first: number,
  events: FoldInput[],
): [KeyedBatch, (fresh: Int32Array) => ReturnType<typeof foldColumns>] {
  const columns = UsageColumns.of(events);
  const keyed = {
    offsets: events.map((_, i) => first + i),
    keys: columns,
    firstOffset: BigInt(first),
    nextOffset: BigInt(first + events.length),
  };
  return [keyed, (fresh) => foldColumns(columns, fresh)];
}

/** Resolves once `check` holds, polling; rejects after `ms`. */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check());) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function projected(pool: Pool) {
  const one = async (sql: string) => (await pool.query<{ quantity: string; events: string }>(sql)).rows;
  return {
    hourly: await one('SELECT quantity::text, events::text FROM usage_hourly'),
    resources: await one('SELECT resource, quantity::text, events::text FROM usage_resource_hourly ORDER BY resource'),
    monthly: await one('SELECT quantity::text, events::text FROM usage_monthly'),
  };
}

describe('ProjectionStore.applyBatch (real Postgres)', () => {
  let db: TestDatabase;
  let store: ProjectionStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    store = new ProjectionStore(db.pool);
  });
  afterEach(() => db.drop());

  it('given a first batch, then both projections and the monthly rollup hold it, and the next offset is stored', async () => {
    const out = await store.applyBatch(pos(), ...batch(0, [e('1', 5), e('2', 7, 'host/a', 'm_2')]));
    expect(out).toEqual({ status: 'applied', fresh: 2, duplicates: 0, alreadyApplied: 0, nextOffset: 2n });
    expect(await projected(db.pool)).toEqual({
      hourly: [{ quantity: '12', events: '2' }],
      resources: [
        { resource: 'm_1', quantity: '5', events: '1' },
        { resource: 'm_2', quantity: '7', events: '1' },
      ],
      monthly: [{ quantity: '12', events: '2' }],
    });
    expect(await store.storedOffsets('g', 'usage')).toEqual(new Map([[3, 2n]]));
  });

  it('given re-sent events in a later batch and twice within one batch, then each (source, id) counts once', async () => {
    await store.applyBatch(pos(), ...batch(0, [e('1', 5), e('2', 7)]));
    const out = await store.applyBatch(pos(), ...batch(2, [e('2', 7), e('3', 1), e('3', 1), e('1', 5, 'host/b')]));
    expect(out).toMatchObject({ status: 'applied', fresh: 2, duplicates: 2 });
    expect((await projected(db.pool)).hourly).toEqual([{ quantity: '18', events: '4' }]);
  });

  it('given the same batch delivered again (a crash after the Postgres commit), then nothing changes', async () => {
    await store.applyBatch(pos(), ...batch(0, [e('1', 5), e('2', 7)]));
    const before = await projected(db.pool);
    const again = await store.applyBatch(pos(), ...batch(0, [e('1', 5), e('2', 7)]));
    expect(again).toMatchObject({ status: 'applied', fresh: 0, alreadyApplied: 2 });
    expect(await projected(db.pool)).toEqual(before);
  });

  it('given a batch that overlaps the stored position, then only the part past it is applied', async () => {
    await store.applyBatch(pos(), ...batch(0, [e('1', 5), e('2', 7)]));
    const out = await store.applyBatch(pos(), ...batch(1, [e('2', 7), e('9', 100)]));
    expect(out).toMatchObject({ status: 'applied', fresh: 1, duplicates: 0, alreadyApplied: 1, nextOffset: 3n });
    expect((await projected(db.pool)).hourly).toEqual([{ quantity: '112', events: '3' }]);
  });

  it('given a batch that starts past the stored position, then it is refused as a gap and nothing changes', async () => {
    await store.applyBatch(pos(), ...batch(0, [e('1', 5)]));
    const out = await store.applyBatch(pos(), ...batch(5, [e('5', 1)]));
    expect(out).toEqual({ status: 'gap', nextOffset: 1n });
    expect((await projected(db.pool)).hourly).toEqual([{ quantity: '5', events: '1' }]);
  });

  it('given the fold throws, then the transaction leaves no trace: ids unseen, offset unmoved', async () => {
    const [keyed] = batch(0, [e('1', 5)]);
    await expect(
      store.applyBatch(pos(), keyed, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.storedOffsets('g', 'usage')).toEqual(new Map());
    expect(await store.applyBatch(pos(), ...batch(0, [e('1', 5)]))).toMatchObject({ fresh: 1 });
  });

  it('given two stores applying the same batch at once (a rebalance zombie), then it is applied once', async () => {
    const other = new ProjectionStore(createPool(db.url, { max: 2 }));
    const events = Array.from({ length: 500 }, (_, i) => e(String(i), 2, 'host/a', `m_${i % 7}`));
    const results = await Promise.all([
      store.applyBatch(pos(), ...batch(0, events)),
      other.applyBatch(pos(), ...batch(0, events)),
    ]);
    expect(results.map((r) => (r.status === 'applied' ? r.fresh : -1)).sort()).toEqual([0, 500]);
    expect((await projected(db.pool)).hourly).toEqual([{ quantity: '1000', events: '500' }]);
    await (other as unknown as { pool: Pool }).pool.end();
  });

  it('given the same events in two partitions applied at once, then they count once (the seen index decides)', async () => {
    const other = new ProjectionStore(createPool(db.url, { max: 2 }));
    const events = Array.from({ length: 2000 }, (_, i) => e(String(i), 1));
    const results = await Promise.all([
      store.applyBatch(pos(1), ...batch(0, events)),
      other.applyBatch(pos(2), ...batch(0, events)),
    ]);
    const fresh = results.map((r) => (r.status === 'applied' ? r.fresh : -1));
    expect(fresh[0]! + fresh[1]!).toBe(2000);
    expect((await projected(db.pool)).hourly).toEqual([{ quantity: '2000', events: '2000' }]);
    expect(await store.storedOffsets('g', 'usage')).toEqual(
      new Map([
        [1, 2000n],
        [2, 2000n],
      ]),
    );
    await (other as unknown as { pool: Pool }).pool.end();
  });

  it('given a shared event recorded by another partition still uncommitted, then the second batch waits for it and counts it as a duplicate once it commits', async () => {
    const other = new ProjectionStore(createPool(db.url, { max: 2 }));
    const waiting = (event: string) =>
      until(async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
          [event],
        );
        return rows[0]!.n === 1;
      });
    // Holds the first batch's transaction open after it recorded its keys, as a rebuild's swap
    // can: its projection statement waits for this lock.
    const blocker = await db.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE usage_hourly IN EXCLUSIVE MODE');
    const first = store.applyBatch(pos(1), ...batch(0, [e('shared', 5), e('a', 1)]));
    await waiting('relation');
    const second = other.applyBatch(pos(2), ...batch(0, [e('b', 2), e('shared', 5)]));
    await waiting('transactionid'); // its insert waits on the first's uncommitted 'shared'
    await blocker.query('COMMIT');
    blocker.release();
    expect(await first).toEqual({ status: 'applied', fresh: 2, duplicates: 0, alreadyApplied: 0, nextOffset: 2n });
    expect(await second).toEqual({ status: 'applied', fresh: 1, duplicates: 1, alreadyApplied: 0, nextOffset: 2n });
    expect(await projected(db.pool)).toEqual({
      hourly: [{ quantity: '8', events: '3' }],
      resources: [{ resource: 'm_1', quantity: '8', events: '3' }],
      monthly: [{ quantity: '8', events: '3' }],
    });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM seen_events')).rows).toEqual([{ n: 3 }]);
    expect(await store.storedOffsets('g', 'usage')).toEqual(
      new Map([
        [1, 2n],
        [2, 2n],
      ]),
    );
    await (other as unknown as { pool: Pool }).pool.end();
  });

  it('keeps seen ids in daily partitions and drops those past the window', async () => {
    const now = Date.UTC(2026, 10, 21);
    await store.ensureSeenWindow(now);
    const old = { ...e('old'), time: now - 40 * 86_400_000 };
    await store.applyBatch(pos(), ...batch(0, [old, e('new')]));
    const parts = async () =>
      (
        await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'seen_events'::regclass`,
        )
      ).rows[0]!.n;
    const before = await parts();
    expect(await store.dropExpiredSeen(now)).toBeGreaterThanOrEqual(1);
    expect(await parts()).toBeLessThan(before);
    const { rows } = await db.pool.query<{ day: string }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM seen_events`);
    expect(rows).toEqual([{ day: '2026-11-21' }]);
    // A re-send of the dropped day's event (the collector would refuse it: older than 35 days).
    expect(await store.applyBatch(pos(), ...batch(2, [old]))).toMatchObject({ fresh: 1 });
  });
});
