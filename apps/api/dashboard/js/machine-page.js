// One machine's page: where it runs, its SKUs, its cost by hour stacked by SKU, and its usage
// hour by hour, for the period of the dashboard. Reached from the Machines panel; its id is
// in the address (#...&machine=m_...), so the page can be reloaded and shared.
import * as api from './api.js';
import { bucketLabel, count, moneyOf } from './format.js';
import { clear, drawCostBySku } from './charts.js';
import { el } from './panels.js';

const $ = (id) => document.getElementById(id);
/** "29856000" → "29,856,000", from the decimal string itself. */
const quantity = (q, unit) => `${q.replace(/^\d+/, (whole) => count(BigInt(whole)))} ${unit}`;

/** Loads and draws `resource` over `range` (the dashboard's period), hourly or daily like the main chart. */
export async function showMachine(session, resource, range, granularity, base, signal) {
  const answer = await api.get(
    session.token,
    `/v1/orgs/${encodeURIComponent(session.org)}/resources/${encodeURIComponent(resource)}?${api.query({ ...base, granularity })}`,
    { signal },
  );
  $('machine-id').textContent = answer.resource;
  $('machine-region').textContent = answer.region;
  $('machine-app').textContent = answer.app === '' ? 'no app' : answer.app;
  $('machine-skus').textContent = answer.skus.length > 0 ? answer.skus.join(', ') : 'none in this period';
  $('machine-total').textContent = moneyOf(answer.total);
  const canvas = $('machine-chart');
  $('machine-chart-empty').hidden = answer.rows.length > 0;
  if (answer.rows.length === 0) clear(canvas);
  else
    drawCostBySku(
      canvas,
      { rows: answer.rows.map((r) => ({ start: r.start, sku: r.sku, amount: r.cost_exact })) },
      range,
      granularity,
    );
  $('machine-sku-body').replaceChildren(
    ...answer.by_sku.map((t) =>
      el(
        'tr',
        { dataset: { sku: t.sku } },
        el('td', {}, el('code', {}, t.sku)),
        el('td', { class: 'amount' }, quantity(t.quantity, t.unit)),
        el('td', { class: 'amount' }, moneyOf(t.cost)),
      ),
    ),
  );
  $('machine-hours-body').replaceChildren(
    ...[...answer.rows]
      .reverse()
      .map((r) =>
        el(
          'tr',
          {},
          el('td', {}, bucketLabel(r.start, granularity)),
          el('td', {}, el('code', {}, r.sku)),
          el('td', { class: 'amount' }, quantity(r.quantity, r.unit)),
          el('td', { class: 'amount' }, moneyOf(r.cost), el('div', { class: 'exact muted' }, `$${r.cost_exact}`)),
        ),
      ),
  );
  return answer;
}
