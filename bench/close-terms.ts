import { Client } from 'pg';
import { Period, periodBounds } from '@metering/domain';

/** What a close wrote that the terms account for; a close with list prices only writes none of it. */
export interface TermsCounts {
  invoices: number;
  /** (invoice, SKU) pairs billed with more than one usage line: a line per tier reached. */
  tieredSkus: number;
  minimumLines: number;
  creditLines: number;
  grantsDrawn: number;
}

export interface TermsShape {
  orgs: number;
  skusPerOrg: number;
  /** The SKUs, in the order the benchmark's usage takes them (org i, k-th SKU: skus[(i + k) % n]). */
  skus: readonly string[];
}

const org = (i: string) => `'org-' || lpad(${i}::text, 5, '0')`;
/** The unit a tier's bounds are counted in: one app in one region for an hour, as the usage is made. */
const UNIT_HOUR = `(CASE l.unit WHEN 'byte' THEN 1500000000 WHEN 'gb-second' THEN 36000 ELSE 3600 END)::bigint`;

/**
 * The organizations' commercial terms for `period`, inserted in bulk as the database owner,
 * all in force from the month's first hour (so the close reads the monthly rollup only):
 * - contract prices for the even organizations, on each of their SKUs: i % 6 = 4 flat at 80% of
 *   list; i % 6 in (0, 2) tiered, a free first tier of one app-region's month, list price up to
 *   half the fleet's month, 70% above, graduated except i % 18 = 2 (volume);
 * - a monthly minimum (1,000, 2,500 or 4,000) for i % 7 = 3;
 * - a credit grant (50 to 500, some without expiry) for i % 5 = 1, and for i % 15 = 1 also a
 *   grant that expired inside the month (a close must not draw on it).
 * Answers what a close of the month must then write (the minimum lines as an upper bound: which
 * organizations stay below their minimum depends on the pricing).
 */
export async function addTerms(url: string, period: Period, shape: TermsShape): Promise<TermsCounts> {
  const { from, to } = periodBounds(period);
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO prices (sku, org, unit, unit_price, tiers, tier_mode, effective_from, created_by)
       SELECT l.sku, ${org('i')}, l.unit,
              CASE WHEN i % 6 = 4 THEN round(l.unit_price * 0.8, 12) END,
              CASE WHEN i % 6 <> 4 THEN jsonb_build_array(
                jsonb_build_object('up_to', (${UNIT_HOUR} * 720)::text, 'unit_price', '0'),
                jsonb_build_object('up_to', (${UNIT_HOUR} * 720 * 6)::text, 'unit_price', round(l.unit_price, 12)::text),
                jsonb_build_object('up_to', null, 'unit_price', round(l.unit_price * 0.7, 12)::text)) END,
              CASE WHEN i % 6 = 4 THEN NULL WHEN i % 18 = 2 THEN 'volume' ELSE 'graduated' END,
              $1::timestamptz, 'bench'
         FROM generate_series(0, $2::int - 1) i, generate_series(0, $3::int - 1) k, prices l
        WHERE i % 2 = 0 AND l.org IS NULL AND l.sku = ($4::text[])[1 + (i + k) % cardinality($4::text[])]`,
      [new Date(from), shape.orgs, shape.skusPerOrg, shape.skus],
    );
    const commitments = await c.query(
      `INSERT INTO commitments (org, from_period, monthly_minimum, created_by)
       SELECT ${org('i')}, $1::date, (ARRAY[1000, 2500, 4000])[1 + i % 3], 'bench'
         FROM generate_series(0, $2::int - 1) i WHERE i % 7 = 3`,
      [`${period}-01`, shape.orgs],
    );
    const grants = await c.query(
      `INSERT INTO credit_grants (org, amount, reason, granted_at, expires_at, created_by)
       SELECT ${org('i')}, 50 + (i % 4) * 150, 'bench: service credit', $1::timestamptz - interval '30 days',
              CASE WHEN i % 3 = 0 THEN NULL ELSE $2::timestamptz + interval '180 days' END, 'bench'
         FROM generate_series(0, $3::int - 1) i WHERE i % 5 = 1
       UNION ALL
       SELECT ${org('i')}, 1000, 'bench: expired promotion', $1::timestamptz - interval '30 days',
              $1::timestamptz + interval '10 days', 'bench'
         FROM generate_series(0, $3::int - 1) i WHERE i % 15 = 1`,
      [new Date(from), new Date(to), shape.orgs],
    );
    await c.query('COMMIT');
    await c.query('ANALYZE prices, commitments, credit_grants');
    let graduated = 0;
    let live = 0;
    for (let i = 0; i < shape.orgs; i++) {
      if ((i % 6 === 0 || i % 6 === 2) && i % 18 !== 2) graduated++;
      if (i % 5 === 1) live++;
    }
    if ((grants.rowCount ?? 0) <= live) throw new Error('the expired grants were not inserted');
    return {
      invoices: shape.orgs,
      tieredSkus: graduated * shape.skusPerOrg,
      minimumLines: commitments.rowCount ?? 0,
      creditLines: live,
      grantsDrawn: live,
    };
  } finally {
    await c.end();
  }
}

/**
 * What a close of `period` wrote, read back: invoices, tiered SKUs, minimum and credit lines, and
 * the grants drawn. Throws when a close drew on a grant that had expired by the end of the month.
 */
export async function checkTermsClose(url: string, period: Period): Promise<TermsCounts> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<Record<keyof TermsCounts | 'expiredDrawn', string>>(
      `SELECT (SELECT count(*) FROM invoices) AS "invoices",
              (SELECT count(*) FROM (SELECT 1 FROM invoice_lines WHERE kind = 'usage' GROUP BY invoice_number, sku HAVING count(*) > 1) t) AS "tieredSkus",
              (SELECT count(*) FROM invoice_lines WHERE kind = 'minimum') AS "minimumLines",
              (SELECT count(*) FROM invoice_lines WHERE kind = 'credit') AS "creditLines",
              (SELECT count(*) FROM credit_movements WHERE kind = 'applied') AS "grantsDrawn",
              (SELECT count(*) FROM credit_movements m JOIN credit_grants g ON g.id = m.grant_id
                WHERE g.expires_at <= $1) AS "expiredDrawn"`,
      [new Date(periodBounds(period).to)],
    );
    const r = rows[0]!;
    if (r.expiredDrawn !== '0') throw new Error(`the close drew on ${r.expiredDrawn} expired grants`);
    return {
      invoices: Number(r.invoices),
      tieredSkus: Number(r.tieredSkus),
      minimumLines: Number(r.minimumLines),
      creditLines: Number(r.creditLines),
      grantsDrawn: Number(r.grantsDrawn),
    };
  } finally {
    await c.end();
  }
}
