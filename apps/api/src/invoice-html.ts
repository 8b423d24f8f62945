import { meterType } from '@metering/catalog';
import type { InvoiceLine } from '@metering/billing';
import { Dec, sumDec } from '@metering/domain';

export interface PrintableDocument {
  kind: 'Invoice' | 'Credit note';
  number: string;
  org: string;
  orgName: string;
  period: string;
  issued_at: string;
  status?: string;
  refers_to?: string | null;
  lines: InvoiceLine[];
  total: string;
  content_hash: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const money = (s: string) => {
  const negative = s.startsWith('-');
  const [whole, cents] = (negative ? s.slice(1) : s).split('.');
  return `${negative ? '−' : ''}$${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents ?? '00'}`;
};

const quantity = (q: string, unit: string) =>
  `${q.replace(/^(-?\d+)/, (w) => w.replace(/\B(?=(\d{3})+(?!\d))/g, ','))} ${unit}${unit === 'byte' || unit === 'second' ? 's' : ''}`;

type ItemLine = InvoiceLine & { sku: string; quantity: string; unit: string; unit_price: string };

/** A usage or adjustment line: a quantity of a SKU at a unit price (minimum and credit lines have none). */
const isItem = (l: InvoiceLine): l is ItemLine =>
  l.sku !== null && l.quantity !== null && l.unit !== null && l.unit_price !== null;

function product(l: ItemLine): string {
  const type = l.sku.split('/')[0] ?? l.sku;
  return meterType(type)?.name ?? type;
}

const unitPrice = (l: ItemLine) => `$${esc(l.unit_price)} / ${esc(l.unit)}`;

/** One usage or adjustment line of a SKU billed at one unit price. */
function itemRow(l: ItemLine): string {
  return `<tr${l.kind === 'adjustment' ? ' class="adj"' : ''}>
  <td>${esc(l.description)}<div class="sku">${esc(l.sku)}${l.kind === 'adjustment' ? ' · adjustment' : ''}</div></td>
  <td>${esc(l.usage_period)}</td>
  <td class="num">${esc(quantity(l.quantity, l.unit))}</td>
  <td class="num">${unitPrice(l)}</td>
  <td class="num">${esc(money(l.amount))}</td>
</tr>`;
}

/**
 * The lines of one SKU, kind and usage period at several unit prices (the tiers it reached, or
 * a price change within the month): a heading row with the quantity in all, then a row per unit
 * price in the order billed, a zero price reading as the free allowance.
 */
function tieredRows(lines: ItemLine[]): string {
  const first = lines[0]!;
  const adj = first.kind === 'adjustment';
  const all = lines.reduce((s, l) => s.add(Dec.of(l.quantity)), Dec.ZERO);
  const head = `<tr class="tiered${adj ? ' adj' : ''}">
  <td>${esc(first.description)}<div class="sku">${esc(first.sku)} · ${lines.length} unit prices${adj ? ' · adjustment' : ''}</div></td>
  <td>${esc(first.usage_period)}</td>
  <td class="num">${esc(quantity(all.toString(), first.unit))}</td>
  <td class="num"></td>
  <td class="num"></td>
</tr>`;
  const tiers = lines.map(
    (l) => `<tr class="tier${adj ? ' adj' : ''}">
  <td>${Dec.of(l.unit_price).isZero() ? 'Free allowance' : `At ${unitPrice(l)}`}</td>
  <td></td>
  <td class="num">${esc(quantity(l.quantity, l.unit))}</td>
  <td class="num">${unitPrice(l)}</td>
  <td class="num">${esc(money(l.amount))}</td>
</tr>`,
  );
  return [head, ...tiers].join('\n');
}

/** A minimum or credit line: money only, in the section above the total. */
function moneyRow(l: InvoiceLine): string {
  return `<tr class="${esc(l.kind)}">
  <td>${esc(l.description)}</td>
  <td>${esc(l.usage_period)}</td>
  <td class="num"></td>
  <td class="num"></td>
  <td class="num">${esc(money(l.amount))}</td>
</tr>`;
}

/** The usage and adjustment lines, grouped by product, then per (kind, SKU, usage period) in the order billed. */
function itemRows(items: ItemLine[]): string {
  const groups = new Map<string, Map<string, ItemLine[]>>();
  for (const l of items) {
    const byKey = groups.get(product(l)) ?? new Map<string, ItemLine[]>();
    const k = `${l.kind} ${l.sku} ${l.usage_period}`;
    byKey.set(k, [...(byKey.get(k) ?? []), l]);
    groups.set(product(l), byKey);
  }
  return [...groups]
    .map(
      ([name, byKey]) =>
        `<tr class="group"><th colspan="5">${esc(name)}</th></tr>\n` +
        [...byKey.values()].map((ls) => (ls.length > 1 ? tieredRows(ls) : itemRow(ls[0]!))).join('\n'),
    )
    .join('\n');
}

/** A printable invoice or credit note: one HTML page, styled for paper, no scripts. */
export function renderDocument(d: PrintableDocument): string {
  const items = d.lines.filter(isItem);
  const others = d.lines.filter((l) => !isItem(l));
  const minimums = others.filter((l) => l.kind === 'minimum');
  const credits = others.filter((l) => l.kind !== 'minimum');
  const rows = itemRows(items);
  const subtotal = money(sumDec(items.map((l) => Dec.of(l.amount))).toFixed(2));
  // Minimum and credit lines, between the usage and the total: the usage subtotal, then the minimum, then the credits.
  const summary =
    others.length === 0
      ? ''
      : `<tbody class="summary">
<tr class="subtotal"><td colspan="4">Usage subtotal</td><td class="num">${esc(subtotal)}</td></tr>
${[...minimums, ...credits].map(moneyRow).join('\n')}
</tbody>`;
  const isVoid = d.status === 'void';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${esc(d.kind)} ${esc(d.number)}</title>
<style>
  @page { size: A4; margin: 18mm 16mm; }
  body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; max-width: 190mm; margin: 2em auto; }
  header { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 2px solid #1b1f24; padding-bottom: 1em; }
  h1 { font-size: 20pt; margin: 0 0 .2em; letter-spacing: .02em; }
  .meta { text-align: right; font-size: 10pt; }
  .meta div { margin: .1em 0; }
  .status { display: inline-block; padding: .1em .6em; border: 2px solid #b42318; color: #b42318; font-weight: 700; letter-spacing: .1em; }
  table { width: 100%; border-collapse: collapse; margin-top: 1.5em; }
  th, td { padding: .45em .5em; vertical-align: top; }
  thead th { text-align: left; font-size: 9pt; text-transform: uppercase; letter-spacing: .05em; color: #57606a; border-bottom: 1px solid #d0d7de; }
  tr.group th { text-align: left; padding-top: 1em; border-bottom: 1px solid #eaeef2; }
  td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .sku { font-size: 8.5pt; color: #57606a; font-family: ui-monospace, monospace; }
  tr.adj td { background: #fff8c5; }
  tr.tiered td { border-bottom: 0; }
  tr.tier td:first-child { padding-left: 1.6em; color: #57606a; }
  tbody.summary td { border-top: 1px solid #d0d7de; }
  tr.subtotal td { font-weight: 600; }
  tr.minimum td { font-style: italic; }
  tr.credit td { color: #1a7f37; }
  tfoot td { border-top: 2px solid #1b1f24; font-weight: 700; font-size: 12pt; }
  footer { margin-top: 2.5em; font-size: 8.5pt; color: #57606a; word-break: break-all; }
  tr { page-break-inside: avoid; }
</style></head>
<body>
<header>
  <div><h1>${esc(d.kind)}</h1><div>${esc(d.orgName)} <span class="sku">(${esc(d.org)})</span></div></div>
  <div class="meta">
    <div><strong>${esc(d.number)}</strong></div>
    <div>Period ${esc(d.period)} (UTC)</div>
    <div>Issued ${esc(d.issued_at.replace('T', ' ').replace('Z', ' UTC'))}</div>
    ${d.refers_to ? `<div>${d.kind === 'Invoice' ? 'Voided by' : 'Voids'} ${esc(d.refers_to)}</div>` : ''}
    ${isVoid ? '<div class="status">VOID</div>' : ''}
  </div>
</header>
<table>
  <thead><tr><th>Item</th><th>Usage period</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
  <tbody>
${rows || (others.length === 0 ? '<tr><td colspan="5">No charges.</td></tr>' : '<tr><td colspan="5">No usage.</td></tr>')}
  </tbody>
${summary}
  <tfoot><tr><td colspan="4">Total (USD)</td><td class="num">${esc(money(d.total))}</td></tr></tfoot>
</table>
<footer>Amounts are quantity × unit price, rounded half-to-even to the cent per line; the total is the sum of the lines.
Unit prices are those in force at the hour of the usage, under the organization's contract where it has one; a product
billed at several unit prices (the tiers of the month it reached, counted from the month's first hour, or a price
change within the month) has a line per unit price. A monthly minimum is what the usage falls short of it; credits
are drawn from the organization's grants, the soonest to expire first. Content hash (SHA-256): ${esc(d.content_hash)}</footer>
</body></html>
`;
}
