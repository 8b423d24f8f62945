import { Pool } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { createPool } from './pool';
import { HourlyRow, Identified, ProjectionStore } from './projection.store';

interface Ev extends Identified {
  quantity: number;
}

const T = Date.UTC(2026, 10, 21, 10, 30);
const pos = { group: 'g', topic: 'usage', partition: 3 };
const fold = (fresh: Ev[]): HourlyRow[] =>
  fresh.length === 0
    ? []
    : [{ org: 'acme', hour: T - 30 * 60_000, sku: 'ip.dedicated', app: '', region: 'ord', quantity: String(fresh.reduce((s, e) => s + e.quantity, 0)), events: fresh.length }];

const items = (first: number, evs: Ev[]) => evs.map((event, i) => ({ offset: BigInt(first + i), event }));
const e = (id: string, quantity = 1, source = 'host/a'): Ev => ({ source, id, time: T, quantity });

async function projected(pool: Pool): Promise<{ quantity: string; events: string } | undefined> {
  const { rows } = await pool.query<{ quantity: string; events: string }>('SELECT quantity::text, events::text FROM usage_hourly');
  return rows[0];
}

describe('ProjectionStore.applyBatch (real Postgres)', () => {
  let db: TestDatabase;
  let store: ProjectionStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    store = new ProjectionStore(db.pool);
  });
  afterEach(() => db.drop());

  it('given a first batch, then its events are projected and the next offset stored', async () => {
    const out = await store.applyBatch(pos, items(0, [e('1', 5), e('2', 7)]), 0n, 2n, fold);
    expect(out).toEqual({ status: 'applied', fresh: 2, duplicates: 0, alreadyApplied: 0, nextOffset: 2n });
    expect(await projected(db.pool)).toEqual({ quantity: '12', events: '2' });
    expect(await store.storedOffsets('g', 'usage')).toEqual(new Map([[3, 2n]]));
  });

  it('given re-sent events in a later batch and twice within one batch, then each (source, id) counts once', async () => {
    await store.applyBatch(pos, items(0, [e('1', 5), e('2', 7)]), 0n, 2n, fold);
    const out = await store.applyBatch(pos, items(2, [e('2', 7), e('3', 1), e('3', 1), e('1', 5, 'host/b')]), 2n, 6n, fold);
    expect(out).toMatchObject({ status: 'applied', fresh: 2, duplicates: 2 });
    expect(await projected(db.pool)).toEqual({ quantity: '18', events: '4' });
  });

  it('given the same batch delivered again (a crash after the Postgres commit), then nothing changes', async () => {
    await store.applyBatch(pos, items(0, [e('1', 5), e('2', 7)]), 0n, 2n, fold);
    const again = await store.applyBatch(pos, items(0, [e('1', 5), e('2', 7)]), 0n, 2n, fold);
    expect(again).toMatchObject({ status: 'applied', fresh: 0, alreadyApplied: 2 });
    expect(await projected(db.pool)).toEqual({ quantity: '12', events: '2' });
  });

  it('given a batch that overlaps the stored position, then only the part past it is applied', async () => {
    await store.applyBatch(pos, items(0, [e('1', 5), e('2', 7)]), 0n, 2n, fold);
    const out = await store.applyBatch(pos, items(1, [e('2', 7), e('9', 100)]), 1n, 3n, fold);
    expect(out).toMatchObject({ status: 'applied', fresh: 1, duplicates: 0, alreadyApplied: 1, nextOffset: 3n });
    expect(await projected(db.pool)).toEqual({ quantity: '112', events: '3' });
  });

  it('given a batch that starts past the stored position, then it is refused as a gap and nothing changes', async () => {
    await store.applyBatch(pos, items(0, [e('1', 5)]), 0n, 1n, fold);
    const out = await store.applyBatch(pos, items(5, [e('5', 1)]), 5n, 6n, fold);
    expect(out).toEqual({ status: 'gap', nextOffset: 1n });
    expect(await projected(db.pool)).toEqual({ quantity: '5', events: '1' });
  });

  it('given the fold throws, then the transaction leaves no trace: ids unseen, offset unmoved', async () => {
    await expect(
      store.applyBatch(pos, items(0, [e('1', 5)]), 0n, 1n, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.storedOffsets('g', 'usage')).toEqual(new Map());
    const out = await store.applyBatch(pos, items(0, [e('1', 5)]), 0n, 1n, fold);
    expect(out).toMatchObject({ fresh: 1 });
  });

  it('given two stores applying the same batch at once (a rebalance zombie), then it is applied once', async () => {
    const other = new ProjectionStore(createPool(db.url, { max: 2 }));
    const batch = items(0, Array.from({ length: 500 }, (_, i) => e(String(i), 2)));
    const results = await Promise.all([store.applyBatch(pos, batch, 0n, 500n, fold), other.applyBatch(pos, batch, 0n, 500n, fold)]);
    expect(results.map((r) => (r.status === 'applied' ? r.fresh : -1)).sort()).toEqual([0, 500]);
    expect(await projected(db.pool)).toEqual({ quantity: '1000', events: '500' });
    await (other as unknown as { pool: Pool }).pool.end();
  });

  it('keeps seen ids in daily partitions and drops those past the window', async () => {
    const now = Date.UTC(2026, 10, 21);
    await store.ensureSeenWindow(now);
    const old = { ...e('old'), time: now - 40 * 86_400_000 };
    await store.applyBatch(pos, items(0, [old, e('new')]), 0n, 2n, fold);
    const parts = async () =>
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'seen_events'::regclass`)).rows[0]!.n;
    const before = await parts();
    expect(await store.dropExpiredSeen(now)).toBeGreaterThanOrEqual(1);
    expect(await parts()).toBeLessThan(before);
    const { rows } = await db.pool.query('SELECT id FROM seen_events ORDER BY id');
    expect(rows).toEqual([{ id: 'new' }]);
  });
});
