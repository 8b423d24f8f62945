import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { PriceEntry } from '@metering/billing';
import { PG_POOL, withTransaction } from './pool';

type Queryable = Pick<PoolClient, 'query'>;

export interface Price {
  sku: string;
  unit: string;
  unit_price: string;
  effective_from: string;
}

/** Every row of the price book, exactly (unit prices as decimal text). */
export async function priceEntries(db: Queryable): Promise<PriceEntry[]> {
  const { rows } = await db.query<{ sku: string; unit: string; unit_price: string; effective_from: Date }>(
    'SELECT sku, unit, unit_price::text, effective_from FROM prices',
  );
  return rows.map((r) => ({
    sku: r.sku,
    unit: r.unit,
    unitPrice: r.unit_price,
    effectiveFrom: r.effective_from.getTime(),
  }));
}

/** The effective-dated price book. Prices are public to every signed-in caller. */
@Injectable()
export class PriceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async all(): Promise<Price[]> {
    const { rows } = await this.pool.query<Price>(
      `SELECT sku, unit, unit_price::text AS unit_price,
              to_char(effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS effective_from
         FROM prices ORDER BY sku, effective_from`,
    );
    return rows;
  }

  entries(): Promise<PriceEntry[]> {
    return priceEntries(this.pool);
  }

  /**
   * Makes the price book exactly `entries`: verify's scratch database takes the live one. As
   * the owner, and only there: the triggers that keep the live book append-only are set aside
   * for the one transaction.
   */
  async replaceAll(entries: readonly PriceEntry[]): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query('ALTER TABLE prices DISABLE TRIGGER USER');
      await client.query('TRUNCATE prices');
      for (const e of entries) {
        await client.query('INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES ($1, $2, $3, $4)', [
          e.sku,
          e.unit,
          e.unitPrice,
          new Date(e.effectiveFrom),
        ]);
      }
      await client.query('ALTER TABLE prices ENABLE TRIGGER USER');
    });
  }
}
