import { createPool, LIVE_TABLES, ProjectionStore, ProjectionTables } from '@metering/db';
import { ColumnEvent, UsageColumns } from '@metering/metering';
import type { Pool } from 'pg';
import { dropDatabase, freshDatabase } from './database';
import { benchStream, StreamShape } from './fold-events';
import type { Benchmark, Figure } from './harness';
import { applyColumns } from './live-folds';

const HOUR = 3_600_000;
const PARTITIONS = 12;
/** Events per partition batch: what the aggregator commits at a time under a steady load. */
const BATCH = 2_000;
const EVENTS = Number(process.env['BENCH_FOLD_ROLLUPS_EVENTS'] ?? 300_000);
const DESIGNS = ['without rollups', 'with rollups'] as const;

/** The live tables as they were before the daily rollups: what "today's design" folds into. */
const { daily: _daily, resourceDays: _resourceDays, ...WITHOUT_ROLLUPS } = LIVE_TABLES;
const TABLES: Record<(typeof DESIGNS)[number], ProjectionTables> = {
  'without rollups': WITHOUT_ROLLUPS,
  'with rollups': LIVE_TABLES,
};

interface Batch {
  partition: number;
  first: number;
  events: ColumnEvent[];
}

/** The stream cut as Kafka would hold it: partitioned by organization, batches of consecutive offsets. */
function batches(shape: StreamShape): Batch[] {
  const perPartition: ColumnEvent[][][] = Array.from({ length: PARTITIONS }, () => []);
  const pending: ColumnEvent[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const { event } of benchStream(shape)) {
    const p = Number(event.org.slice(4)) % PARTITIONS;
    pending[p]!.push(event);
    if (pending[p]!.length === BATCH) {
      perPartition[p]!.push(pending[p]!);
      pending[p] = [];
    }
  }
  pending.forEach((events, p) => events.length > 0 && perPartition[p]!.push(events));
  // Round by round over the partitions, as the aggregator takes them.
  const out: Batch[] = [];
  const next = new Array<number>(PARTITIONS).fill(0);
  for (let round = 0; out.length < perPartition.flat().length; round++)
    for (let p = 0; p < PARTITIONS; p++) {
      const events = perPartition[p]![round];
      if (!events) continue;
      out.push({ partition: p, first: next[p]!, events });
      next[p]! += events.length;
    }
  return out;
}

/**
 * The fold's Postgres side with and without the daily rollups, in the same run: the same
 * batches applied through ProjectionStore.applyBatch (record the seen keys, upsert the
 * projections, move the offset: one transaction each) into two fresh databases, batch by batch
 * alternately, so both meet the same machine load.
 */
export function foldRollupsBenchmark(): Benchmark {
  const pools = new Map<string, Pool>();
  const stores = new Map<string, ProjectionStore>();
  let work: Batch[] = [];
  let run = 0;
  const dbName = (d: string) => `metering_bench_rollups_${d.startsWith('with ') ? 'with' : 'without'}`;
  return {
    name: 'fold-rollups',
    title: "the fold's transactions with the daily rollups against without them",
    get method() {
      return (
        `${EVENTS.toLocaleString('en-US')} events of the fold benchmark's stream (10,000 machines of 40 organizations reporting every 5 minutes, 10% re-sends), ` +
        `split into ${PARTITIONS} partitions by organization and batches of ${BATCH.toLocaleString('en-US')}, applied through the aggregator's ProjectionStore ` +
        'into two fresh databases: one folding the projections as before the daily rollups, one also keeping usage_daily and usage_resource_day; ' +
        'batch by batch alternately (which goes first alternates too), one transaction at a time. Each run folds the stream again as new events ' +
        '(new ids, same hours, at the next offsets), so after the first run the upserts meet existing rows, as a live fold of the current hours does.'
      );
    },
    runs: 1,
    goals: [
      {
        figure: 'rollups throughput ratio',
        op: '>=',
        value: 0.85,
        text: 'fold throughput with the rollups at most 15% below without them',
      },
    ],
    async setup() {
      const start = Math.floor(Date.now() / HOUR) * HOUR - 12 * HOUR;
      work = batches({ total: EVENTS, machines: 10_000, orgs: 40, intervalMinutes: 5, start });
      for (const d of DESIGNS) {
        const pool = createPool(await freshDatabase(dbName(d)), { max: 2 });
        pools.set(d, pool);
        const store = new ProjectionStore(pool, TABLES[d]);
        await store.ensureSeenWindow(Date.now());
        stores.set(d, store);
      }
    },
    async run(): Promise<Figure[]> {
      run++;
      const ms = new Map<string, number>(DESIGNS.map((d) => [d, 0]));
      let events = 0;
      // Each run: ids never seen, at each partition's next offsets.
      const sizes = new Map<number, number>();
      for (const b of work) sizes.set(b.partition, (sizes.get(b.partition) ?? 0) + b.events.length);
      const columns = work.map((b) => UsageColumns.of(b.events.map((e) => ({ ...e, id: `${run}/${e.id}` }))));
      for (let i = 0; i < work.length; i++) {
        const b = { ...work[i]!, columns: columns[i]! };
        const shift = sizes.get(b.partition)! * (run - 1);
        events += b.columns.length;
        const order = i % 2 === 0 ? DESIGNS : [...DESIGNS].reverse();
        for (const d of order) {
          const t = performance.now();
          const out = await applyColumns(stores.get(d)!, 'bench', b.partition, shift + b.first, b.columns);
          ms.set(d, ms.get(d)! + performance.now() - t);
          if (out.status !== 'applied' || out.fresh + out.duplicates !== b.columns.length)
            throw new Error(
              `${d}: batch ${i} not folded whole: ${JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
            );
        }
      }
      const rate = (d: string) => events / (ms.get(d)! / 1000);
      return [
        { name: 'without rollups', value: rate('without rollups'), unit: 'events/s', better: 'higher' },
        { name: 'with rollups', value: rate('with rollups'), unit: 'events/s', better: 'higher' },
        {
          name: 'rollups throughput ratio',
          value: rate('with rollups') / rate('without rollups'),
          unit: '×',
          better: 'higher',
        },
      ];
    },
    async teardown() {
      for (const pool of pools.values()) await pool.end();
      for (const d of DESIGNS) await dropDatabase(dbName(d));
    },
  };
}
