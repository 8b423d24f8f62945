import { asValidatedOrg } from '@metering/domain';
import { BatchOutcome, createPool, ProjectionStore } from '@metering/db';
import { ColumnEvent, foldColumns, UsageColumns } from '@metering/metering';
import { APPS, MACHINES, READ_ORG, REGIONS, SIZES } from './read-fleet';
const TICK_MS = 100;

/** One batch at offsets first.. of a partition, folded as the aggregator does (ProjectionStore.applyBatch). */
export function applyColumns(
  store: ProjectionStore,
  group: string,
  partition: number,
  first: number,
  columns: UsageColumns,
): Promise<BatchOutcome> {
  return store.applyBatch(
    { group, topic: 'usage.events.v1', partition },
    {
      offsets: Array.from({ length: columns.length }, (_, k) => first + k),
      keys: columns,
      firstOffset: BigInt(first),
      nextOffset: BigInt(first + columns.length),
    },
    (fresh) => foldColumns(columns, fresh),
  );
}

/** A commit of the live folds: when it committed, and the organization's events of the hour folded by then. */
export interface FoldCommit {
  at: number;
  hour: number;
  eventsOfHour: number;
}

/**
 * The organization's hosts posting `rate` events/s throughout, as the aggregator folds them:
 * every 100 ms a batch of a tenth of a second of machine runtime events (the fleet's machines in
 * turn, each event 6 s of the current hour) through ProjectionStore.applyBatch, the
 * aggregator's own transaction (seen keys, projections, daily rollups, offset).
 */
export class LiveFolds {
  /** Each start folds into a partition of its own, with ids of its own: nothing of an earlier run is taken for applied. */
  private static starts = 0;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private running: Promise<void> = Promise.resolve();
  private readonly ofHour = new Map<number, number>();
  readonly commits: FoldCommit[] = [];
  folded = 0;
  private started = 0;

  private constructor(
    private readonly store: ProjectionStore,
    private readonly end: () => Promise<void>,
    private readonly rate: number,
    private readonly partition: number,
  ) {}

  static async start(url: string, rate: number): Promise<LiveFolds> {
    const pool = createPool(url, { max: 2 });
    const store = new ProjectionStore(pool);
    await store.ensureSeenWindow(Date.now());
    const folds = new LiveFolds(store, () => pool.end(), rate, LiveFolds.starts++);
    // What the hour holds already (earlier runs' folds): a read must see at least that plus what this one folds.
    const { rows } = await pool.query<{ n: string }>(
      `SELECT coalesce(sum(events), 0)::text AS n FROM usage_hourly WHERE org = $1 AND hour = date_trunc('hour', now())`,
      [READ_ORG],
    );
    folds.ofHour.set(Math.floor(Date.now() / 3_600_000) * 3_600_000, Number(rows[0]!.n));
    folds.started = performance.now();
    folds.timer = setInterval(() => {
      // A tick that finds the previous fold still running waits for it: the load stays serial, like one partition.
      folds.running = folds.running.then(() => folds.foldOne()).catch((e: unknown) => console.error('live fold:', e));
    }, TICK_MS);
    return folds;
  }

  /** Stops, once the last fold is in; the rate achieved, in events/s. */
  async stop(): Promise<number> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.end();
    return this.folded / ((performance.now() - this.started) / 1000);
  }

  private async foldOne(): Promise<void> {
    const now = Date.now();
    const hour = Math.floor(now / 3_600_000) * 3_600_000;
    const events: ColumnEvent[] = [];
    for (let n = 0; n < (this.rate * TICK_MS) / 1000; n++, this.seq++) {
      const i = this.seq % MACHINES;
      events.push({
        id: `live-${this.partition}-${this.seq}`,
        source: 'host/bench-live',
        time: now - 1000,
        org: asValidatedOrg(READ_ORG),
        app: APPS[Math.floor(i / 6) % 3]!,
        region: REGIONS[i % 6]!,
        sku: `machine.runtime/${SIZES[Math.floor(i / 18) % 4]}`,
        resource: `m_${String(i).padStart(5, '0')}`,
        quantity: '6',
      });
    }
    const columns = UsageColumns.of(events);
    const first = this.seq - events.length;
    await applyColumns(this.store, 'bench-live', this.partition, first, columns);
    this.folded += events.length;
    const ofHour = (this.ofHour.get(hour) ?? 0) + events.length;
    this.ofHour.set(hour, ofHour);
    this.commits.push({ at: performance.now(), hour, eventsOfHour: ofHour });
  }
}
