// What a billing member sees besides usage: the organization's invoices (each opens its
// printable version, fetched with the token: a plain link would carry none), its credit
// balance (its alerts have a card of their own, alerts.js). Hidden for viewers, who may not read them.
import * as api from './api.js';
import { cents, money, moneyOf, shortDate } from './format.js';
import { el } from './panels.js';

const $ = (id) => document.getElementById(id);
const mayBill = (session) => session.role === 'billing' || session.role === 'admin' || session.role === 'operator';

async function openPrintable(session, number) {
  const blob = await api.get(
    session.token,
    `/v1/orgs/${encodeURIComponent(session.org)}/invoices/${encodeURIComponent(number)}?format=html`,
    { as: 'blob' },
  );
  const href = URL.createObjectURL(blob); // text/html, as the API answered it
  window.open(href, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

function renderInvoices(session, invoices) {
  const body = $('invoices-body');
  if (invoices.length === 0) {
    body.replaceChildren(
      el('tr', {}, el('td', { colspan: '5' }, el('p', { class: 'empty-state' }, 'No invoices yet.'))),
    );
    return;
  }
  body.replaceChildren(
    ...invoices.map((inv) =>
      el(
        'tr',
        { dataset: { number: inv.number } },
        el('td', {}, el('code', {}, inv.number)),
        el('td', {}, inv.period),
        el('td', { class: inv.status === 'void' ? 'muted' : '' }, inv.status),
        el('td', { class: 'amount' }, moneyOf(inv.total)),
        el(
          'td',
          {},
          el(
            'button',
            { class: 'link', type: 'button', onclick: () => openPrintable(session, inv.number).catch(() => undefined) },
            'Printable',
          ),
        ),
      ),
    ),
  );
}

function renderCredits(grants) {
  const now = Date.now();
  const live = grants.filter((g) => !g.expires_at || Date.parse(g.expires_at) > now);
  const balance = live.reduce((s, g) => s + cents(g.remaining), 0n);
  $('credit-balance').textContent = money(balance);
  const soonest = live
    .filter((g) => g.expires_at && cents(g.remaining) > 0n)
    .sort((a, b) => (a.expires_at < b.expires_at ? -1 : 1))[0];
  $('credit-balance-sub').textContent = soonest
    ? `${moneyOf(soonest.remaining)} of it expires ${shortDate(Date.parse(soonest.expires_at))}`
    : live.length > 0
      ? 'no expiry'
      : 'no credit granted';
}

/** Shows the billing panel for a billing member (or the operator), and hides it for others. */
export async function loadBilling(session, signal) {
  const panel = $('billing');
  panel.hidden = !mayBill(session);
  if (panel.hidden) return;
  panel.dataset.state = 'loading';
  const base = `/v1/orgs/${encodeURIComponent(session.org)}`;
  const [invoices, credits] = await Promise.all([
    api.get(session.token, `${base}/invoices`, { signal }),
    api.get(session.token, `${base}/credits`, { signal }),
  ]);
  renderInvoices(session, invoices); // newest first, as the API lists them
  renderCredits(credits);
  panel.dataset.state = 'ready';
}
