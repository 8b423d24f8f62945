import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { Commitment, CreditGrant, Rate, TermPriceEntry, TermsData } from '@metering/billing';
import type { OrgId, Period } from '@metering/domain';
import { PG_POOL } from './pool';

type Queryable = Pick<PoolClient, 'query'>;

interface PriceRow {
  id: string;
  sku: string;
  org: OrgId | null;
  unit: string;
  unit_price: string | null;
  tiers: { up_to: string | null; unit_price: string }[] | null;
  tier_mode: 'graduated' | 'volume' | null;
  effective_from: Date;
}

function rateOf(r: PriceRow): Rate {
  if (r.unit_price !== null) return { kind: 'flat', unitPrice: r.unit_price };
  return {
    kind: 'tiered',
    mode: r.tier_mode ?? 'graduated',
    tiers: (r.tiers ?? []).map((t) => ({ upTo: t.up_to, unitPrice: t.unit_price })),
  };
}

export function toPriceEntry(r: PriceRow): TermPriceEntry {
  return { id: r.id, sku: r.sku, org: r.org, effectiveFrom: r.effective_from.getTime(), unit: r.unit, rate: rateOf(r) };
}

export const PRICE_COLUMNS = `id::text, sku, org, unit, unit_price::text, tiers, tier_mode, effective_from`;

/**
 * The commercial terms as a close, a preview or an estimate reads them: list and contract price
 * entries, commitments, and credit grants with what remains of them. Each read takes the client
 * to read with, so a close reads the terms in the same snapshot as the usage.
 */
@Injectable()
export class TermsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Every organization's terms: for the close, verify and reconcile. */
  async snapshotAllOrgs(db: Queryable = this.pool): Promise<TermsData> {
    return this.read(db, null);
  }

  /** The list prices and `org`'s own terms: for its preview, current usage and estimates. */
  async snapshot(org: OrgId, db: Queryable = this.pool): Promise<TermsData> {
    return this.read(db, org);
  }

  private async read(db: Queryable, org: OrgId | null): Promise<TermsData> {
    const one = org !== null;
    const args = one ? [org] : [];
    const prices = await db.query<PriceRow>(
      `SELECT ${PRICE_COLUMNS} FROM prices ${one ? 'WHERE org IS NULL OR org = $1' : ''} ORDER BY sku, org NULLS FIRST, effective_from`,
      args,
    );
    const commitments = await db.query<{ org: OrgId; from: Period; monthly_minimum: string }>(
      `SELECT org, to_char(from_period, 'YYYY-MM') AS from, monthly_minimum::text
         FROM commitments ${one ? 'WHERE org = $1' : ''} ORDER BY id`,
      args,
    );
    const credits = await db.query<{
      id: string;
      org: OrgId;
      amount: string;
      remaining: string;
      granted_at: Date;
      expires_at: Date | null;
      reason: string;
    }>(
      `SELECT id::text, org, amount::text, remaining::text, granted_at, expires_at, reason
         FROM credit_balances ${one ? 'WHERE org = $1' : ''} ORDER BY granted_at, id`,
      args,
    );
    return {
      prices: prices.rows.map(toPriceEntry),
      commitments: commitments.rows.map((r): Commitment => ({
        org: r.org,
        from: r.from,
        monthlyMinimum: r.monthly_minimum,
      })),
      credits: credits.rows.map((r): CreditGrant => ({
        id: r.id,
        org: r.org,
        amount: r.amount,
        remaining: r.remaining,
        grantedAt: r.granted_at.getTime(),
        expiresAt: r.expires_at?.getTime() ?? null,
        reason: r.reason,
      })),
    };
  }
}
