import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './pool';

export interface Price {
  sku: string;
  unit: string;
  unit_price: string;
  effective_from: string;
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
}
