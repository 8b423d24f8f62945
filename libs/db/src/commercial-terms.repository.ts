import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { Commitment, NewCreditGrant, NewPriceEntry, TermPriceEntry } from '@metering/billing';
import type { OrgId, Period } from '@metering/domain';
import { PG_POOL } from './pool';
import { PRICE_COLUMNS, toPriceEntry } from './terms.repository';

type Queryable = Pick<PoolClient, 'query'>;

// RFC 3339 in UTC, with a fraction of a second only where there is one (null stays null).
const UTC = (column: string) =>
  `rtrim(rtrim(to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z' AS ${column}`;

/** A price entry as stored: the pure entry, and who made it when. */
export interface StoredPriceEntry extends TermPriceEntry {
  createdAt: string;
  createdBy: string;
}

/** A price entry on the wire (`POST|GET /v1/billing/prices`). */
export interface PriceEntryView {
  id: string;
  sku: string;
  org: string | null;
  unit: string;
  unit_price: string | null;
  tiers: { up_to: string | null; unit_price: string }[] | null;
  tier_mode: 'graduated' | 'volume' | null;
  effective_from: string;
  created_at: string;
  created_by: string;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function priceEntryView(e: StoredPriceEntry): PriceEntryView {
  const tiered = e.rate.kind === 'tiered' ? e.rate : null;
  return {
    id: e.id,
    sku: e.sku,
    org: e.org,
    unit: e.unit,
    unit_price: e.rate.kind === 'flat' ? e.rate.unitPrice : null,
    tiers: tiered ? tiered.tiers.map((t) => ({ up_to: t.upTo, unit_price: t.unitPrice })) : null,
    tier_mode: tiered ? tiered.mode : null,
    effective_from: rfc3339(e.effectiveFrom),
    created_at: e.createdAt,
    created_by: e.createdBy,
  };
}

/** A commitment as stored, in the order made (`id`). */
export interface StoredCommitment extends Commitment {
  id: string;
  createdAt: string;
  createdBy: string;
}

export interface CommitmentView {
  id: string;
  org: string;
  monthly_minimum: string;
  from: string;
  created_at: string;
  created_by: string;
}

export const commitmentView = (c: StoredCommitment): CommitmentView => ({
  id: c.id,
  org: c.org,
  monthly_minimum: c.monthlyMinimum,
  from: c.from,
  created_at: c.createdAt,
  created_by: c.createdBy,
});

/** A credit grant on the wire, with what remains of it. */
export interface CreditGrantView {
  id: string;
  org: string;
  amount: string;
  remaining: string;
  reason: string;
  granted_at: string;
  expires_at: string | null;
}

const PRICE_SELECT = `SELECT ${PRICE_COLUMNS}, ${UTC('created_at')}, created_by FROM prices`;
const COMMITMENT_SELECT = `SELECT id::text, org, to_char(from_period, 'YYYY-MM') AS from, monthly_minimum::text,
         ${UTC('created_at')}, created_by FROM commitments`;
const CREDIT_SELECT = `SELECT id::text, org, amount::text, remaining::text, reason,
         ${UTC('granted_at')}, ${UTC('expires_at')}
    FROM credit_balances`;

type PriceRow = Parameters<typeof toPriceEntry>[0] & { created_at: string; created_by: string };
const stored = (r: PriceRow): StoredPriceEntry => ({
  ...toPriceEntry(r),
  createdAt: r.created_at,
  createdBy: r.created_by,
});

interface CommitmentRow {
  id: string;
  org: OrgId;
  from: Period;
  monthly_minimum: string;
  created_at: string;
  created_by: string;
}
const storedCommitment = (r: CommitmentRow): StoredCommitment => ({
  id: r.id,
  org: r.org,
  from: r.from,
  monthlyMinimum: r.monthly_minimum,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/**
 * The commercial terms as the billing team changes them and customers read them back: price
 * entries (list and contract), commitments and credit grants. The writes take the client of the
 * caller's transaction (the billing lock's, so they serialize with closes); the append-only
 * triggers of migration 1795300000700 stay the last word.
 */
@Injectable()
export class CommercialTermsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The last closed month, or null when none is. */
  async lastClosedPeriod(db: Queryable = this.pool): Promise<Period | null> {
    const { rows } = await db.query<{ p: Period | null }>(
      `SELECT to_char(max(period), 'YYYY-MM') AS p FROM period_closes`,
    );
    return rows[0]?.p ?? null;
  }

  /** Every entry (scheduled ones too), or only `org`'s contract entries; by sku, org (list first), effective_from. */
  async priceEntries(opts: { org?: OrgId } = {}, db: Queryable = this.pool): Promise<StoredPriceEntry[]> {
    const { rows } = await db.query<PriceRow>(
      `${PRICE_SELECT} ${opts.org !== undefined ? 'WHERE org = $1' : ''} ORDER BY sku, org NULLS FIRST, effective_from`,
      opts.org !== undefined ? [opts.org] : [],
    );
    return rows.map(stored);
  }

  /** The list price book: the entries without an organization, scheduled ones too. */
  async listPriceBook(db: Queryable = this.pool): Promise<StoredPriceEntry[]> {
    const { rows } = await db.query<PriceRow>(`${PRICE_SELECT} WHERE org IS NULL ORDER BY sku, effective_from`);
    return rows.map(stored);
  }

  /** The entries of one (sku, org), org null for the list price. */
  async entriesOf(sku: string, org: OrgId | null, db: Queryable = this.pool): Promise<StoredPriceEntry[]> {
    const { rows } = await db.query<PriceRow>(
      `${PRICE_SELECT} WHERE sku = $1 AND org IS NOT DISTINCT FROM $2 ORDER BY effective_from`,
      [sku, org],
    );
    return rows.map(stored);
  }

  async priceEntry(id: string, db: Queryable = this.pool): Promise<StoredPriceEntry | undefined> {
    if (!/^[1-9]\d{0,17}$/.test(id)) return undefined;
    const { rows } = await db.query<PriceRow>(`${PRICE_SELECT} WHERE id = $1`, [id]);
    return rows[0] && stored(rows[0]);
  }

  async insertPrice(e: NewPriceEntry, createdBy: string, db: Queryable): Promise<StoredPriceEntry> {
    const tiered = e.rate.kind === 'tiered' ? e.rate : null;
    const { rows } = await db.query<PriceRow>(
      `INSERT INTO prices (sku, unit, org, unit_price, tiers, tier_mode, effective_from, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING ${PRICE_COLUMNS}, ${UTC('created_at')}, created_by`,
      [
        e.sku,
        e.unit,
        e.org,
        e.rate.kind === 'flat' ? e.rate.unitPrice : null,
        tiered ? JSON.stringify(tiered.tiers.map((t) => ({ up_to: t.upTo, unit_price: t.unitPrice }))) : null,
        tiered ? tiered.mode : null,
        new Date(e.effectiveFrom),
        createdBy,
      ],
    );
    return stored(rows[0]!);
  }

  /** Removes an entry not yet in force (the database refuses any other); false when there was none. */
  async removeScheduledPrice(id: string, db: Queryable): Promise<boolean> {
    const { rows } = await db.query<{ removed: boolean }>('SELECT remove_scheduled_price($1) AS removed', [id]);
    return rows[0]?.removed === true;
  }

  /** An organization's commitments in the order they were made. */
  async commitmentsOf(org: OrgId, db: Queryable = this.pool): Promise<StoredCommitment[]> {
    const { rows } = await db.query<CommitmentRow>(`${COMMITMENT_SELECT} WHERE org = $1 ORDER BY id`, [org]);
    return rows.map(storedCommitment);
  }

  async insertCommitment(c: Commitment, createdBy: string, db: Queryable): Promise<StoredCommitment> {
    const { rows } = await db.query<CommitmentRow>(
      `INSERT INTO commitments (org, from_period, monthly_minimum, created_by) VALUES ($1, $2, $3, $4)
       RETURNING id::text, org, to_char(from_period, 'YYYY-MM') AS from, monthly_minimum::text, ${UTC('created_at')}, created_by`,
      [c.org, `${c.from}-01`, c.monthlyMinimum, createdBy],
    );
    return storedCommitment(rows[0]!);
  }

  /** An organization's credit grants with what remains of each, oldest first. */
  async creditsOf(org: OrgId, db: Queryable = this.pool): Promise<CreditGrantView[]> {
    const { rows } = await db.query<CreditGrantView>(`${CREDIT_SELECT} WHERE org = $1 ORDER BY granted_at, id`, [org]);
    return rows;
  }

  async insertCredit(org: OrgId, g: NewCreditGrant, createdBy: string, db: Queryable): Promise<CreditGrantView> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO credit_grants (org, amount, reason, expires_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
      [org, g.amount, g.reason, g.expiresAt === null ? null : new Date(g.expiresAt), createdBy],
    );
    const view = await db.query<CreditGrantView>(`${CREDIT_SELECT} WHERE id = $1`, [rows[0]!.id]);
    return view.rows[0]!;
  }
}
