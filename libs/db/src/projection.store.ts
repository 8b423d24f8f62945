import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { UsageFold } from '@metering/metering';
import type { Correction } from '@metering/billing';
import { foldCorrection } from './correction-fold';
import { dateArray, timestamptzArray, uuidArray } from './pg-binary';
import { PG_POOL } from './pool';
import { checked, LIVE_TABLES, PROJECTION_TABLES, ProjectionTables, projectionStatement } from './projection-tables';

export interface PartitionPosition {
  group: string;
  topic: string;
  partition: number;
}

/** The dedup identity of each event of a batch (UsageColumns is one). */
export interface DedupKeys {
  /** The UTC day of each event's time, in days since 1970-01-01: its seen-id partition. */
  readonly days: Int32Array;
  /** The 16-byte key of each event as four words: event i at 4i..4i+3. */
  readonly words: Int32Array;
  /** Of the events from..to-1, the first of each distinct (day, key), in order. */
  firstOfEach(from: number, to: number): Int32Array;
}

/** One partition batch, decoded, validated and keyed. */
export interface KeyedBatch {
  /** The offset of each valid event, in offset order; events are referred to by index. */
  offsets: ArrayLike<number>;
  keys: DedupKeys;
  /** The offset of the batch's first message (valid or not). */
  firstOffset: bigint;
  /** One past the batch's last message: where the partition resumes. */
  nextOffset: bigint;
  /** The batch's corrections, in offset order (absent: none). */
  corrections?: readonly { offset: number; correction: Correction }[];
}

export type BatchOutcome =
  | {
      status: 'applied';
      fresh: number;
      duplicates: number;
      alreadyApplied: number;
      nextOffset: bigint;
      /** Corrections folded by this batch, applied or refused (absent when it had none). */
      corrections?: { applied: number; refused: number };
    }
  /** The batch starts past the stored position: the consumer must seek back to `nextOffset`. */
  | { status: 'gap'; nextOffset: bigint };

const DAY_MS = 86_400_000;
/** What Postgres raises for a row that no partition of seen_events takes. */
const CHECK_VIOLATION = '23514';
/** What recording a key raises when another transaction committed it meanwhile (see recordSeen). */
const UNIQUE_VIOLATION = '23505';
/** Runs of a batch's transaction before such a conflict is thrown like any other error. */
const ATTEMPTS = 5;

export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Where a consumer group's folds stand, per partition of `topic`: the next offset each resumes from (absent = never folded). */
export async function storedPositions(
  db: Pick<Pool, 'query'>,
  group: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const { rows } = await db.query<{ partition: number; next_offset: string }>(
    'SELECT partition, next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}

/**
 * The aggregator's write side. applyBatch is the exactly-once step: in one transaction it
 * locks the partition's stored offset, drops what was applied before, records the batch's
 * event keys keeping only those never seen, adds only those events to the projections and
 * moves the offset. A crash anywhere leaves either all of it or none of it.
 */
@Injectable()
export class ProjectionStore {
  private readonly knownDays = new Set<number>();
  private readonly seenTables = new Map<number, string>();
  private readonly projectSql: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Optional() @Inject(PROJECTION_TABLES) readonly tables: ProjectionTables = LIVE_TABLES,
  ) {
    this.projectSql = projectionStatement(tables);
  }

  /** Stored next offsets of these partitions (absent = never folded). */
  storedOffsets(group: string, topic: string): Promise<Map<number, bigint>> {
    return storedPositions(this.pool, group, topic);
  }

  /** @param fold turns the events that are new (their indexes) into projection rows; a rerun calls it again */
  async applyBatch(
    pos: PartitionPosition,
    batch: KeyedBatch,
    fold: (fresh: Int32Array) => UsageFold,
  ): Promise<BatchOutcome> {
    if (this.tables.seenPartitioned) await this.ensureDays(batch.keys.days);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        return await this.applyOnce(client, pos, batch, fold);
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
        // A day partition this process thought it had was dropped (by another instance's window
        // upkeep): forget what it knows, so that the retry creates it again.
        if (code === CHECK_VIOLATION) this.knownDays.clear();
        // Another transaction committed a key this one was recording: the rerun finds it seen.
        if (code === UNIQUE_VIOLATION && attempt < ATTEMPTS) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  /** Drops seen-id partitions older than the dedup window (35 days of accepted lateness + 1). */
  async dropExpiredSeen(now: number, keepDays = 36): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT drop_seen_partitions($1::date) AS n', [
      utcDay(now - keepDays * DAY_MS),
    ]);
    this.knownDays.clear();
    return rows[0]?.n ?? 0;
  }

  async ensureSeenWindow(now: number, keepDays = 36): Promise<void> {
    await this.pool.query('SELECT ensure_seen_partitions($1::date, $2::date)', [
      utcDay(now - keepDays * DAY_MS),
      utcDay(now + DAY_MS),
    ]);
    this.knownDays.clear();
  }

  private async ensureDays(days: Int32Array): Promise<void> {
    let missing: Set<number> | null = null;
    for (let i = 0; i < days.length; i++) {
      if (!this.knownDays.has(days[i]!)) (missing ??= new Set()).add(days[i]!);
    }
    for (const day of missing ?? []) {
      const text = utcDay(day * DAY_MS);
      await this.pool.query('SELECT ensure_seen_partitions($1::date, $1::date)', [text]);
      this.knownDays.add(day);
    }
  }

  /** The stored next offset, row-locked for this transaction (null: this partition is new). */
  private async lockOffset(client: PoolClient, pos: PartitionPosition): Promise<bigint | null> {
    const select = {
      name: 'lock-offset',
      text: 'SELECT next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      values: [pos.group, pos.topic, pos.partition],
    };
    const { rows } = await client.query<{ next_offset: string }>(select);
    if (rows[0]) return BigInt(rows[0].next_offset);
    // Two instances meeting a new partition at once: the loser's insert waits for the
    // winner's commit, inserts nothing, and then reads the winner's offset under lock.
    const inserted = await client.query(
      `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [pos.group, pos.topic, pos.partition],
    );
    if (inserted.rowCount === 1) return null;
    const again = await client.query<{ next_offset: string }>(select);
    return BigInt(again.rows[0]!.next_offset);
  }

  /** The batch's one transaction (see the class); the caller rolls back if it throws. */
  private async applyOnce(
    client: PoolClient,
    pos: PartitionPosition,
    batch: KeyedBatch,
    fold: (fresh: Int32Array) => UsageFold,
  ): Promise<BatchOutcome> {
    // Generic plans: planned for the arrays' real lengths, the per-key probes of recordSeen
    // cost enough to be JIT-compiled, which takes longer than running them.
    await client.query('BEGIN; SET LOCAL plan_cache_mode = force_generic_plan');
    const stored = await this.lockOffset(client, pos);
    if (stored !== null && batch.firstOffset > stored) {
      await client.query('ROLLBACK');
      return { status: 'gap', nextOffset: stored };
    }
    const from = stored ?? batch.firstOffset;
    const count = batch.offsets.length;
    if (batch.nextOffset <= from) {
      await client.query('ROLLBACK');
      return { status: 'applied', fresh: 0, duplicates: 0, alreadyApplied: count, nextOffset: from };
    }
    let skip = 0;
    const start = Number(from);
    while (skip < count && batch.offsets[skip]! < start) skip++;
    const fresh = await this.recordSeen(client, batch.keys, skip, count);
    const project = (events: Int32Array) =>
      client.query({
        name: `project:${this.tables.hourly}:${this.tables.resourceDays ?? 'no-rollups'}`,
        text: this.projectSql,
        values: projectionValues(fold(events), pos, batch.nextOffset),
      });
    // A correction is decided on the usage folded before it in the log, whatever the batching:
    // the events before it are projected first, so a replay decides every correction alike.
    let done = 0;
    const corrections = { applied: 0, refused: 0 };
    for (const { offset, correction } of batch.corrections ?? []) {
      if (offset < start) continue;
      let upTo = done;
      while (upTo < fresh.length && batch.offsets[fresh[upTo]!]! < offset) upTo++;
      if (upTo > done) await project(fresh.subarray(done, upTo));
      done = upTo;
      const outcome = await foldCorrection(client, this.tables, correction);
      if (outcome !== 'duplicate') corrections[outcome]++;
    }
    await project(fresh.subarray(done));
    await client.query('COMMIT');
    return {
      status: 'applied',
      fresh: fresh.length,
      duplicates: count - skip - fresh.length,
      alreadyApplied: skip,
      nextOffset: batch.nextOffset,
      ...(batch.corrections?.length ? { corrections } : {}),
    };
  }

  /**
   * Records the keys of the events from..to-1; returns those never seen before (first of each
   * key). Per seen table (a day's partition, or the rebuild's one table) the unique index is
   * probed for the keys already there, then the others are inserted, sorted by key so that the
   * inserts walk the index in order. Straight to the partition: through the parent, each key's
   * probe re-scans the partitions with run-time pruning; and no INSERT ... ON CONFLICT, whose
   * speculative insertion probes, inserts and locks per row. A key that a concurrent transaction
   * commits meanwhile (the same event through another partition) fails the insert with 23505,
   * and applyBatch runs the batch again.
   */
  private async recordSeen(client: PoolClient, keys: DedupKeys, from: number, to: number): Promise<Int32Array> {
    const distinct = keys.firstOfEach(from, to);
    const byTable = this.byTable(keys.days, distinct);
    const before = new Set<number>(); // events whose key was there already
    for (const [table, events] of byTable) {
      const { rows } = await client.query<[number]>({
        name: `seen-probe:${table}`,
        text: `SELECT t.i::int4 FROM unnest($1::uuid[]) WITH ORDINALITY AS t(key, i), LATERAL (SELECT 1 FROM ${table} s WHERE s.key = t.key LIMIT 1) s`,
        values: [uuidArray(keys.words, events)],
        rowMode: 'array',
      });
      for (const [i] of rows) before.add(events[i - 1]!); // ordinals count from 1
    }
    const isNew = (event: number) => !before.has(event);
    for (const [table, events] of byTable) {
      const fresh = before.size === 0 ? events : events.filter(isNew);
      if (fresh.length === 0) continue;
      await client.query({
        name: `seen-insert:${table}`,
        text: `INSERT INTO ${table} (day, key) SELECT day, key FROM unnest($1::date[], $2::uuid[]) AS t(day, key) ORDER BY key`,
        values: [dateArray(keys.days, fresh), uuidArray(keys.words, fresh)],
      });
    }
    return before.size === 0 ? distinct : distinct.filter(isNew);
  }

  /** The events grouped by the seen table that records them (usually one day: no copy then). */
  private byTable(days: Int32Array, events: Int32Array): Map<string, Int32Array> {
    if (events.length === 0) return new Map();
    const first = days[events[0]!]!;
    let oneDay = true;
    for (let n = 1; n < events.length && oneDay; n++) oneDay = days[events[n]!] === first;
    if (oneDay || !this.tables.seenPartitioned) return new Map([[this.seenTable(first), events]]);
    const groups = new Map<string, number[]>();
    for (const event of events) {
      const table = this.seenTable(days[event]!);
      const group = groups.get(table);
      if (group) group.push(event);
      else groups.set(table, [event]);
    }
    return new Map([...groups].map(([table, group]) => [table, Int32Array.from(group)]));
  }

  /** Where the key of an event of this day (days since 1970-01-01) is recorded. */
  private seenTable(day: number): string {
    let table = this.seenTables.get(day);
    if (table === undefined) {
      table = checked(
        this.tables.seenPartitioned
          ? `${this.tables.seen}_${utcDay(day * DAY_MS).replaceAll('-', '')}`
          : this.tables.seen,
      );
      this.seenTables.set(day, table);
    }
    return table;
  }
}

function projectionValues(rows: UsageFold, pos: PartitionPosition, nextOffset: bigint): unknown[] {
  const h = rows.hourly;
  const r = rows.resources;
  return [
    h.map((b) => b.org),
    timestampsOf(h),
    h.map((b) => b.sku),
    h.map((b) => b.app),
    h.map((b) => b.region),
    h.map((b) => b.quantity),
    h.map((b) => b.events),
    r.map((b) => b.org),
    timestampsOf(r),
    r.map((b) => b.sku),
    r.map((b) => b.app),
    r.map((b) => b.region),
    r.map((b) => b.resource),
    r.map((b) => b.quantity),
    r.map((b) => b.events),
    nextOffset.toString(),
    pos.group,
    pos.topic,
    pos.partition,
  ];
}

function timestampsOf(rows: readonly { hour: number }[]): Buffer {
  return timestamptzArray(rows.map((b) => b.hour));
}
