import { meterType } from '@metering/catalog';
import type { InvoiceLine } from '@metering/billing';

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

function product(l: InvoiceLine): string {
  if (l.sku === null) return l.kind === 'minimum' ? 'Monthly minimum' : 'Credit';
  const type = l.sku.split('/')[0] ?? l.sku;
  return meterType(type)?.name ?? type;
}

function row(l: InvoiceLine): string {
  if (l.quantity === null)
    return `<tr class="${l.kind}">
  <td>${esc(l.description)}</td>
  <td>${esc(l.usage_period)}</td>
  <td class="num"></td>
  <td class="num"></td>
  <td class="num">${esc(money(l.amount))}</td>
</tr>`;
  return `<tr${l.kind === 'adjustment' ? ' class="adj"' : ''}>
  <td>${esc(l.description)}<div class="sku">${esc(l.sku)}${l.kind === 'adjustment' ? ' · adjustment' : ''}</div></td>
  <td>${esc(l.usage_period)}</td>
  <td class="num">${esc(quantity(l.quantity, l.unit))}</td>
  <td class="num">$${esc(l.unit_price)} / ${esc(l.unit)}</td>
  <td class="num">${esc(money(l.amount))}</td>
</tr>`;
}

/** A printable invoice or credit note: one HTML page, styled for paper, no scripts. */
export function renderDocument(d: PrintableDocument): string {
  const groups = new Map<string, InvoiceLine[]>();
  for (const l of d.lines) groups.set(product(l), [...(groups.get(product(l)) ?? []), l]);
  const rows = [...groups]
    .map(([name, lines]) => `<tr class="group"><th colspan="5">${esc(name)}</th></tr>` + lines.map(row).join('\n'))
    .join('\n');
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
${rows || '<tr><td colspan="5">No charges.</td></tr>'}
  </tbody>
  <tfoot><tr><td colspan="4">Total (USD)</td><td class="num">${esc(money(d.total))}</td></tr></tfoot>
</table>
<footer>Amounts are quantity × unit price, rounded half-to-even to the cent per line; the total is the sum of the lines.
Unit prices are those in force at the hour of the usage. Content hash (SHA-256): ${esc(d.content_hash)}</footer>
</body></html>
`;
}
