import { createHash } from 'node:crypto';
import { meterType } from '@metering/catalog';
import { Dec, OrgId, Period, sumDec } from '@metering/domain';
import type { BillingTerms } from './billing-terms';

/** Usage of one SKU in one period at one unit price: projected, or already billed. */
export interface PricedUsage {
  sku: string;
  usagePeriod: Period;
  unitPrice: string;
  quantity: string;
}

/** Priced usage, keyed by organization. */
export type UsageByOrg = Map<OrgId, PricedUsage[]>;

/**
 * What a close bills from, as read in one snapshot: usage projected for the period and for
 * earlier closed periods that grew since, and what was billed for those periods before.
 */
export interface BillableUsage {
  projected: UsageByOrg;
  billed: UsageByOrg;
}

export interface InvoiceLine {
  kind: 'usage' | 'adjustment';
  sku: string;
  usage_period: Period;
  quantity: string;
  unit: string;
  unit_price: string;
  amount: string;
  description: string;
}

/** What an invoice says, before it has a number: the part its content hash covers, with the number. */
export interface InvoiceContent {
  number: string | null;
  org: OrgId;
  period: Period;
  currency: 'USD';
  lines: InvoiceLine[];
  total: string;
}

const key = (u: Pick<PricedUsage, 'sku' | 'usagePeriod' | 'unitPrice'>) =>
  `${u.sku}\u0000${u.usagePeriod}\u0000${Dec.of(u.unitPrice).toString()}`;

function describe(kind: InvoiceLine['kind'], sku: string, usagePeriod: Period): string {
  const [type, variant] = sku.split('/');
  const name = meterType(type ?? sku)?.name ?? type ?? sku;
  const what = variant ? `${name} (${variant})` : name;
  return kind === 'usage'
    ? `${what}, ${usagePeriod}`
    : `${what}, ${usagePeriod}: usage reported after that period was invoiced`;
}

/**
 * The lines an invoice for `period` must carry: for every (sku, usage period, unit price),
 * what is projected minus what was billed before. Usage of `period` itself makes `usage`
 * lines; growth of earlier, already-invoiced periods makes `adjustment` lines. Amounts are
 * quantity × unit price rounded half-to-even to cents, per line.
 */
export function invoiceLines(
  period: Period,
  projected: readonly PricedUsage[],
  billed: readonly PricedUsage[],
  unitOf: (sku: string) => string,
): InvoiceLine[] {
  const already = new Map<string, Dec>();
  for (const b of billed) already.set(key(b), (already.get(key(b)) ?? Dec.ZERO).add(Dec.of(b.quantity)));
  const wanted = new Map<string, { u: PricedUsage; q: Dec }>();
  for (const p of projected) {
    const k = key(p);
    const prev = wanted.get(k);
    wanted.set(k, { u: p, q: (prev?.q ?? Dec.ZERO).add(Dec.of(p.quantity)) });
  }
  const lines: InvoiceLine[] = [];
  for (const [k, { u, q }] of wanted) {
    const delta = q.sub(already.get(k) ?? Dec.ZERO);
    // Projections only grow; a shrink would be a fault that reconcile reports, never a silent credit.
    if (delta.cmp(Dec.ZERO) <= 0) continue;
    const price = Dec.of(u.unitPrice);
    const kind = u.usagePeriod === period ? 'usage' : 'adjustment';
    lines.push({
      kind,
      sku: u.sku,
      usage_period: u.usagePeriod,
      quantity: delta.toString(),
      unit: unitOf(u.sku),
      unit_price: price.toString(),
      amount: delta.mul(price).toFixed(2),
      description: describe(kind, u.sku, u.usagePeriod),
    });
  }
  return lines.sort(
    (a, b) =>
      (a.kind === b.kind ? 0 : a.kind === 'usage' ? -1 : 1) ||
      a.sku.localeCompare(b.sku) ||
      a.usage_period.localeCompare(b.usage_period) ||
      Dec.of(a.unit_price).cmp(Dec.of(b.unit_price)),
  );
}

export function totalOf(lines: readonly Pick<InvoiceLine, 'amount'>[]): string {
  return sumDec(lines.map((l) => Dec.of(l.amount))).toFixed(2);
}

export function invoiceContent(
  number: string | null,
  org: OrgId,
  period: Period,
  lines: InvoiceLine[],
): InvoiceContent {
  return { number, org, period, currency: 'USD', lines, total: totalOf(lines) };
}

/** JSON with object keys sorted at every depth and no white space: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the canonical JSON; issue time and status are left out, so a replay hashes the same. */
export function contentHash(content: object): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** A credit note's lines: every line of the invoice, negated. */
export function negatedLines(lines: readonly InvoiceLine[]): InvoiceLine[] {
  return lines.map((l) => ({
    ...l,
    quantity: Dec.of(l.quantity).neg().toString(),
    amount: Dec.of(l.amount).neg().toFixed(2),
    description: `Credit: ${l.description}`,
  }));
}

/** The invoice `org` would get for `period` now, or null when there is nothing to bill. */
export function draftInvoice(
  org: OrgId,
  period: Period,
  projected: readonly PricedUsage[],
  billed: readonly PricedUsage[],
  unitOf: (sku: string) => string,
): InvoiceContent | null {
  const lines = invoiceLines(period, projected, billed, unitOf);
  return lines.length === 0 ? null : invoiceContent(null, org, period, lines);
}

/**
 * The invoices closing `period` would make from this usage: one per organization with
 * anything to bill, in slug order, without numbers.
 */
export function draftInvoices(period: Period, usage: BillableUsage, terms: BillingTerms): InvoiceContent[] {
  const unitOf = (sku: string) => terms.priceBook.unitOf(sku);
  const drafts: InvoiceContent[] = [];
  for (const org of [...usage.projected.keys()].sort()) {
    const draft = draftInvoice(org, period, usage.projected.get(org)!, usage.billed.get(org) ?? [], unitOf);
    if (draft) drafts.push(draft);
  }
  return drafts;
}
