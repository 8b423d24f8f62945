import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type {
  CarriedForward,
  CreditDrawn,
  InvoiceLine,
  InvoiceSummary,
  IssuedCreditNote,
  IssuedDocument,
  TermsData,
} from '@metering/billing';
import type { OrgId, Period } from '@metering/domain';
import { PG_POOL } from './pool';

type Queryable = Pick<PoolClient, 'query'>;

export interface InvoiceView extends Omit<IssuedDocument, 'seq'> {
  status: 'issued' | 'void';
  credit_note: string | null;
}

export interface CreditNoteView extends Omit<IssuedDocument, 'seq'> {
  invoice: string;
  reason: string;
}

/** The aggregator positions a close read the projections at, recorded with it. */
export interface ClosePositions {
  group: string;
  topic: string;
  /** Next offset per partition, as decimal text. */
  partitions: Record<string, string>;
}

/** A close as recorded, for verify to replay. */
export interface RecordedClose {
  period: Period;
  positions: ClosePositions;
  /** The terms it priced with; null for a close recorded before closes recorded them. */
  terms: TermsData | null;
}

const UTC = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;
const LINE_COLS = `kind, sku, to_char(usage_period, 'YYYY-MM') AS usage_period, quantity::text, unit, unit_price::text, amount::text, description`;

/** Writes (inside the issuing transaction) and reads of invoices and credit notes. */
@Injectable()
export class DocumentsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The next number of the shared gapless sequence, not yet taken. Row-locks the counter until the transaction ends. */
  async firstFreeNumber(db: Queryable): Promise<bigint> {
    const { rows } = await db.query<{ next: string }>(
      'SELECT (last + 1)::text AS next FROM document_counter FOR UPDATE',
    );
    return BigInt(rows[0]!.next);
  }

  /** Takes the `n` numbers from `first` on; refuses if `first` is no longer the first free one (someone took numbers meanwhile). */
  async takeNumbers(db: Queryable, first: bigint, n: number): Promise<void> {
    if (n === 0) return;
    const { rowCount } = await db.query('UPDATE document_counter SET last = last + $2 WHERE last = $1', [
      (first - 1n).toString(),
      n,
    ]);
    if (rowCount !== 1) throw new Error(`document numbers from ${first} were taken meanwhile`);
  }

  async insertInvoices(db: Queryable, docs: readonly IssuedDocument[]): Promise<void> {
    if (docs.length === 0) return;
    await db.query(
      `INSERT INTO invoices (number, seq, org, period, currency, issued_at, total, content_hash)
       SELECT n, s, o, (p || '-01')::date, 'USD', t, tot, h
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::numeric[], $7::text[]) AS x(n, s, o, p, t, tot, h)`,
      [
        docs.map((d) => d.number),
        docs.map((d) => d.seq.toString()),
        docs.map((d) => d.org),
        docs.map((d) => d.period),
        docs.map((d) => d.issued_at),
        docs.map((d) => d.total),
        docs.map((d) => d.content_hash),
      ],
    );
    await this.insertLines(db, 'invoice_lines', 'invoice_number', docs);
  }

  async insertCreditNote(db: Queryable, doc: IssuedCreditNote): Promise<void> {
    await db.query(
      `INSERT INTO credit_notes (number, seq, invoice_number, org, currency, issued_at, total, content_hash, reason)
       VALUES ($1, $2, $3, $4, 'USD', $5, $6, $7, $8)`,
      [doc.number, doc.seq.toString(), doc.invoice, doc.org, doc.issued_at, doc.total, doc.content_hash, doc.reason],
    );
    await this.insertLines(db, 'credit_note_lines', 'credit_note_number', [doc]);
  }

  private async insertLines(
    db: Queryable,
    table: string,
    owner: string,
    docs: readonly IssuedDocument[],
  ): Promise<void> {
    const c = {
      owner: [] as string[],
      no: [] as number[],
      kind: [] as string[],
      sku: [] as (string | null)[],
      period: [] as string[],
      qty: [] as (string | null)[],
      unit: [] as (string | null)[],
      price: [] as (string | null)[],
      amount: [] as string[],
      desc: [] as string[],
    };
    for (const d of docs) {
      d.lines.forEach((l, i) => {
        c.owner.push(d.number);
        c.no.push(i + 1);
        c.kind.push(l.kind);
        c.sku.push(l.sku);
        c.period.push(`${l.usage_period}-01`);
        c.qty.push(l.quantity);
        c.unit.push(l.unit);
        c.price.push(l.unit_price);
        c.amount.push(l.amount);
        c.desc.push(l.description);
      });
    }
    await db.query(
      `INSERT INTO ${table} (${owner}, line_no, kind, sku, usage_period, quantity, unit, unit_price, amount, description)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::date[], $6::numeric[], $7::text[], $8::numeric[], $9::numeric[], $10::text[])`,
      [c.owner, c.no, c.kind, c.sku, c.period, c.qty, c.unit, c.price, c.amount, c.desc],
    );
  }

  async recordClose(
    db: Queryable,
    period: Period,
    positions: ClosePositions,
    invoices: number,
    terms: TermsData,
  ): Promise<void> {
    await db.query('INSERT INTO period_closes (period, positions, invoices, terms) VALUES ($1, $2, $3, $4)', [
      `${period}-01`,
      JSON.stringify(positions),
      invoices,
      JSON.stringify(terms),
    ]);
  }

  /** The credit a close's invoices drew from grants (inside the close's transaction). */
  async recordCreditsApplied(db: Queryable, credits: readonly CreditDrawn[]): Promise<void> {
    if (credits.length === 0) return;
    await db.query(
      `INSERT INTO credit_movements (grant_id, kind, amount, invoice_number)
       SELECT g, 'applied', a, i FROM unnest($1::bigint[], $2::numeric[], $3::text[]) AS x(g, a, i)`,
      [credits.map((c) => c.grantId), credits.map((c) => c.amount), credits.map((c) => c.invoice)],
    );
  }

  /** Negative balances of a close's invoices, granted back as credit for the next invoices. */
  async grantCarriedForward(db: Queryable, carried: readonly CarriedForward[]): Promise<void> {
    if (carried.length === 0) return;
    await db.query(
      `INSERT INTO credit_grants (org, amount, reason, created_by)
       SELECT o, a, 'balance carried forward from ' || i, 'close' FROM unnest($1::text[], $2::numeric[], $3::text[]) AS x(o, a, i)`,
      [carried.map((c) => c.org), carried.map((c) => c.amount), carried.map((c) => c.invoice)],
    );
  }

  /** What the invoice drew from each grant, to give back when it is voided. */
  async creditsApplied(db: Queryable, invoice: string): Promise<{ grantId: string; amount: string }[]> {
    const { rows } = await db.query<{ grantId: string; amount: string }>(
      `SELECT grant_id::text AS "grantId", amount::text FROM credit_movements
        WHERE invoice_number = $1 AND kind = 'applied' ORDER BY id`,
      [invoice],
    );
    return rows;
  }

  /** Gives back to its grants the credit `invoice` drew, with the credit note that voids it. */
  async recordCreditsReturned(
    db: Queryable,
    invoice: string,
    creditNote: string,
    returned: readonly { grantId: string; amount: string }[],
  ): Promise<void> {
    if (returned.length === 0) return;
    await db.query(
      `INSERT INTO credit_movements (grant_id, kind, amount, invoice_number, credit_note_number)
       SELECT g, 'returned', a, $3, $4 FROM unnest($1::bigint[], $2::numeric[]) AS x(g, a)`,
      [returned.map((r) => r.grantId), returned.map((r) => r.amount), invoice, creditNote],
    );
  }

  /** Every close, in the order they happened. Operator-wide. */
  async closes(db: Queryable = this.pool): Promise<RecordedClose[]> {
    const { rows } = await db.query<RecordedClose>(
      `SELECT to_char(period, 'YYYY-MM') AS period, positions, terms FROM period_closes ORDER BY closed_at, period`,
    );
    return rows;
  }

  /** The invoices of `period`'s close in number order, or null while the period is not closed. Operator-wide. */
  async closedInvoices(period: Period, db: Queryable = this.pool): Promise<InvoiceSummary[] | null> {
    const { rowCount } = await db.query('SELECT 1 FROM period_closes WHERE period = $1', [`${period}-01`]);
    if (rowCount !== 1) return null;
    const { rows } = await db.query<InvoiceSummary>(
      `SELECT number, org, total::text, content_hash FROM invoices WHERE period = $1 ORDER BY seq`,
      [`${period}-01`],
    );
    return rows;
  }

  /** The invoices of `period` as issued (without lines), keyed by organization: what verify compares with. Operator-wide. */
  async issuedInvoices(
    period: Period,
    db: Queryable = this.pool,
  ): Promise<Map<OrgId, Omit<IssuedDocument, 'lines' | 'currency' | 'total' | 'period'>>> {
    const { rows } = await db.query<{ number: string; seq: string; org: OrgId; content_hash: string; issued_at: Date }>(
      `SELECT number, seq::text, org, content_hash, issued_at FROM invoices WHERE period = $1`,
      [`${period}-01`],
    );
    return new Map(
      rows.map((r) => [
        r.org,
        {
          number: r.number,
          seq: BigInt(r.seq),
          org: r.org,
          content_hash: r.content_hash,
          issued_at: r.issued_at.toISOString(),
        },
      ]),
    );
  }

  /** An invoice of `org` by number: a member's read, null for another organization's. */
  async invoice(org: OrgId, number: string, db: Queryable = this.pool): Promise<InvoiceView | null> {
    return this.invoiceWhere(db, number, org);
  }

  /** Any organization's invoice by number: for the operator's tools alone. */
  async invoiceForOperator(number: string, db: Queryable = this.pool): Promise<InvoiceView | null> {
    return this.invoiceWhere(db, number, null);
  }

  private async invoiceWhere(db: Queryable, number: string, org: OrgId | null): Promise<InvoiceView | null> {
    const { rows } = await db.query<Omit<InvoiceView, 'lines'>>(
      `SELECT i.number, i.org, to_char(i.period, 'YYYY-MM') AS period, i.currency, to_char(i.issued_at AT TIME ZONE 'UTC', ${UTC}) AS issued_at,
              CASE WHEN c.number IS NULL THEN 'issued' ELSE 'void' END AS status, c.number AS credit_note,
              i.total::text, i.content_hash
         FROM invoices i LEFT JOIN credit_notes c ON c.invoice_number = i.number
        WHERE i.number = $1 ${org !== null ? 'AND i.org = $2' : ''}`,
      org !== null ? [number, org] : [number],
    );
    if (!rows[0]) return null;
    const lines = await db.query<InvoiceLine>(
      `SELECT ${LINE_COLS} FROM invoice_lines WHERE invoice_number = $1 ORDER BY line_no`,
      [number],
    );
    return { ...rows[0], lines: lines.rows };
  }

  async invoices(org: OrgId): Promise<Omit<InvoiceView, 'lines'>[]> {
    const { rows } = await this.pool.query<Omit<InvoiceView, 'lines'>>(
      `SELECT i.number, i.org, to_char(i.period, 'YYYY-MM') AS period, i.currency, to_char(i.issued_at AT TIME ZONE 'UTC', ${UTC}) AS issued_at,
              CASE WHEN c.number IS NULL THEN 'issued' ELSE 'void' END AS status, c.number AS credit_note, i.total::text, i.content_hash
         FROM invoices i LEFT JOIN credit_notes c ON c.invoice_number = i.number
        WHERE i.org = $1 ORDER BY i.seq DESC`,
      [org],
    );
    return rows;
  }

  /** A credit note of `org` by number: a member's read, null for another organization's. */
  async creditNote(org: OrgId, number: string): Promise<CreditNoteView | null> {
    return this.creditNoteWhere(number, org);
  }

  /** Any organization's credit note by number: for the operator's tools alone. */
  async creditNoteForOperator(number: string): Promise<CreditNoteView | null> {
    return this.creditNoteWhere(number, null);
  }

  private async creditNoteWhere(number: string, org: OrgId | null): Promise<CreditNoteView | null> {
    const { rows } = await this.pool.query<Omit<CreditNoteView, 'lines' | 'period'>>(
      `SELECT c.number, c.org, c.invoice_number AS invoice, to_char(i.period, 'YYYY-MM') AS period, c.currency,
              to_char(c.issued_at AT TIME ZONE 'UTC', ${UTC}) AS issued_at, c.total::text, c.content_hash, c.reason
         FROM credit_notes c JOIN invoices i ON i.number = c.invoice_number
        WHERE c.number = $1 ${org !== null ? 'AND c.org = $2' : ''}`,
      org !== null ? [number, org] : [number],
    );
    if (!rows[0]) return null;
    const lines = await this.pool.query<InvoiceLine>(
      `SELECT ${LINE_COLS} FROM credit_note_lines WHERE credit_note_number = $1 ORDER BY line_no`,
      [number],
    );
    return { ...(rows[0] as CreditNoteView), lines: lines.rows };
  }

  async creditNotes(org: OrgId): Promise<Omit<CreditNoteView, 'lines'>[]> {
    const { rows } = await this.pool.query<Omit<CreditNoteView, 'lines'>>(
      `SELECT c.number, c.org, c.invoice_number AS invoice, to_char(i.period, 'YYYY-MM') AS period, c.currency,
              to_char(c.issued_at AT TIME ZONE 'UTC', ${UTC}) AS issued_at, c.total::text, c.content_hash, c.reason
         FROM credit_notes c JOIN invoices i ON i.number = c.invoice_number WHERE c.org = $1 ORDER BY c.seq DESC`,
      [org],
    );
    return rows;
  }
}
