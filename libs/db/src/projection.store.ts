import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from './pool';

/** One hourly bucket of the fold, ready to be added to the projection. */
export interface HourlyRow {
  org: string;
  hour: number; // epoch ms of the UTC hour's start
  sku: string;
  app: string;
  region: string;
  quantity: string; // exact decimal
  events: number;
}

/** What the store needs of an event to deduplicate it. */
export interface Identified {
  source: string;
  id: string;
  time: number; // epoch ms
}

export interface PartitionPosition {
  group: string;
  topic: string;
  partition: number;
}

export type BatchOutcome =
  | { status: 'applied'; fresh: number; duplicates: number; alreadyApplied: number; nextOffset: bigint }
  /** The batch starts past the stored position: the consumer must seek back to `nextOffset`. */
  | { status: 'gap'; nextOffset: bigint };

const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The aggregator's write side. applyBatch is the exactly-once step: in one transaction it
 * locks the partition's stored offset, drops what was applied before, records the batch's
 * event ids keeping only those never seen, adds only those to the projection and moves the
 * offset. A crash anywhere leaves either all of it or none of it.
 */
@Injectable()
export class ProjectionStore {
  private readonly knownDays = new Set<string>();

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Stored next offsets of these partitions (absent = never folded). */
  async storedOffsets(group: string, topic: string): Promise<Map<number, bigint>> {
    const { rows } = await this.pool.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
  }

  /**
   * @param items the batch's events in offset order, already decoded and valid
   * @param firstOffset the offset of the batch's first message (valid or not)
   * @param nextOffset one past the batch's last message
   * @param fold turns the events that are new into projection rows
   */
  async applyBatch<E extends Identified>(
    pos: PartitionPosition,
    items: ReadonlyArray<{ offset: bigint; event: E }>,
    firstOffset: bigint,
    nextOffset: bigint,
    fold: (fresh: E[]) => HourlyRow[],
  ): Promise<BatchOutcome> {
    await this.ensureDays(items);
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const stored = await this.lockOffset(client, pos);
      if (stored !== null && firstOffset > stored) {
        await client.query('ROLLBACK');
        return { status: 'gap', nextOffset: stored };
      }
      const from = stored ?? firstOffset;
      if (nextOffset <= from) {
        await client.query('ROLLBACK');
        return { status: 'applied', fresh: 0, duplicates: 0, alreadyApplied: items.length, nextOffset: from };
      }
      const pending = items.filter((i) => i.offset >= from);
      const fresh = await this.recordSeen(client, pending.map((i) => i.event));
      const rows = fold(fresh);
      await this.addToProjection(client, rows);
      await client.query(
        `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [pos.group, pos.topic, pos.partition, nextOffset.toString()],
      );
      await client.query('COMMIT');
      return {
        status: 'applied',
        fresh: fresh.length,
        duplicates: pending.length - fresh.length,
        alreadyApplied: items.length - pending.length,
        nextOffset,
      };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Drops seen-id partitions older than the dedup window (35 days of accepted lateness + 1). */
  async dropExpiredSeen(now: number, keepDays = 36): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT drop_seen_partitions($1::date) AS n', [utcDay(now - keepDays * DAY_MS)]);
    return rows[0]?.n ?? 0;
  }

  async ensureSeenWindow(now: number, keepDays = 36): Promise<void> {
    await this.pool.query('SELECT ensure_seen_partitions($1::date, $2::date)', [utcDay(now - keepDays * DAY_MS), utcDay(now + DAY_MS)]);
    this.knownDays.clear();
  }

  private async ensureDays(items: ReadonlyArray<{ event: Identified }>): Promise<void> {
    const missing = new Set<string>();
    for (const { event } of items) {
      const day = utcDay(event.time);
      if (!this.knownDays.has(day)) missing.add(day);
    }
    for (const day of missing) {
      await this.pool.query('SELECT ensure_seen_partitions($1::date, $1::date)', [day]);
      this.knownDays.add(day);
    }
  }

  /** The stored next offset, row-locked for this transaction (null: this partition is new). */
  private async lockOffset(client: PoolClient, pos: PartitionPosition): Promise<bigint | null> {
    const { rows } = await client.query<{ next_offset: string }>(
      'SELECT next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      [pos.group, pos.topic, pos.partition],
    );
    if (rows[0]) return BigInt(rows[0].next_offset);
    // Two instances meeting a new partition at once: the loser's insert waits for the
    // winner's commit, inserts nothing, and then reads the winner's offset under lock.
    const inserted = await client.query(
      `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [pos.group, pos.topic, pos.partition],
    );
    if (inserted.rowCount === 1) return null;
    const again = await client.query<{ next_offset: string }>(
      'SELECT next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      [pos.group, pos.topic, pos.partition],
    );
    return BigInt(again.rows[0]!.next_offset);
  }

  /** Records the events' ids and returns the events never seen before (first of each id). */
  private async recordSeen<E extends Identified>(client: PoolClient, events: E[]): Promise<E[]> {
    if (events.length === 0) return [];
    const days: string[] = new Array(events.length);
    const sources: string[] = new Array(events.length);
    const ids: string[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      days[i] = utcDay(e.time);
      sources[i] = e.source;
      ids[i] = e.id;
    }
    const { rows } = await client.query<{ source: string; id: string; day: string }>(
      `INSERT INTO seen_events (day, source, id)
       SELECT * FROM unnest($1::date[], $2::text[], $3::text[])
       ON CONFLICT DO NOTHING
       RETURNING source, id, to_char(day, 'YYYY-MM-DD') AS day`,
      [days, sources, ids],
    );
    const inserted = new Set(rows.map((r) => `${r.day}\u0000${r.source}\u0000${r.id}`));
    const fresh: E[] = [];
    for (let i = 0; i < events.length; i++) {
      const key = `${days[i]}\u0000${sources[i]}\u0000${ids[i]}`;
      // delete: a second copy of the same id inside this batch is a duplicate too
      if (inserted.delete(key)) fresh.push(events[i]!);
    }
    return fresh;
  }

  private async addToProjection(client: PoolClient, rows: HourlyRow[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = { org: [] as string[], hour: [] as string[], sku: [] as string[], app: [] as string[], region: [] as string[], qty: [] as string[], events: [] as number[] };
    for (const r of rows) {
      cols.org.push(r.org);
      cols.hour.push(new Date(r.hour).toISOString());
      cols.sku.push(r.sku);
      cols.app.push(r.app);
      cols.region.push(r.region);
      cols.qty.push(r.quantity);
      cols.events.push(r.events);
    }
    // One round trip: the hourly projection and its monthly rollup (what a period close reads).
    await client.query(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::bigint[])
                  AS t(org, hour, sku, app, region, quantity, events)
       ), hourly AS (
         INSERT INTO usage_hourly (org, hour, sku, app, region, quantity, events)
         SELECT * FROM input
         ON CONFLICT (org, hour, sku, app, region) DO UPDATE
           SET quantity = usage_hourly.quantity + EXCLUDED.quantity,
               events = usage_hourly.events + EXCLUDED.events
       )
       INSERT INTO usage_monthly (period, org, sku, quantity, events)
       SELECT (date_trunc('month', hour AT TIME ZONE 'UTC'))::date, org, sku, sum(quantity), sum(events)
         FROM input GROUP BY 1, 2, 3
       ON CONFLICT (period, org, sku) DO UPDATE
         SET quantity = usage_monthly.quantity + EXCLUDED.quantity,
             events = usage_monthly.events + EXCLUDED.events`,
      [cols.org, cols.hour, cols.sku, cols.app, cols.region, cols.qty, cols.events],
    );
  }
}
