// The breakdown panels and the filter bar. Built with DOM calls, never from HTML strings:
// resource and app names come from customers' events.
import { cents, count, money, moneyOf, share } from './format.js';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    // Through the CSSOM: the page's policy refuses inline style attributes.
    else if (k === 'style') Object.assign(node.style, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}

// Not the SKU colours of the chart above: a continent is not a SKU.
const CONTINENT_COLORS = ['#0090ff', '#12a594', '#f5a524', '#e5484d', '#8e4ec6', '#978365', '#46a758'];

function bar(part, max, color) {
  const pct = max > 0n ? Number((part * 1000n) / max) / 10 : 0;
  return el(
    'span',
    { class: 'bar', 'aria-hidden': 'true' },
    el('span', { class: 'fill', style: { width: `${pct}%`, ...(color ? { background: color } : {}) } }),
  );
}

export function empty(container, text) {
  container.replaceChildren(el('p', { class: 'empty-state' }, text));
}

/** Continent totals (for the doughnut) and the region list under their continents. */
export function continentsOf(regionsAnswer, catalog) {
  const byCode = new Map(catalog.regions.map((r) => [r.code, r]));
  const names = new Map(
    catalog.continents.map((c, i) => [c.code, { name: c.name, color: CONTINENT_COLORS[i % CONTINENT_COLORS.length] }]),
  );
  const groups = new Map();
  for (const row of regionsAnswer.rows) {
    const region = byCode.get(row.region);
    const code = region?.continent ?? '?';
    const g = groups.get(code) ?? {
      code,
      name: names.get(code)?.name ?? 'Unknown',
      color: names.get(code)?.color ?? '#b9bbc6',
      cents: 0n,
      regions: [],
    };
    g.cents += cents(row.amount);
    g.regions.push({
      code: row.region,
      name: region?.name ?? row.region,
      cents: cents(row.amount),
      amount: row.amount,
    });
    groups.set(code, g);
  }
  const list = [...groups.values()].sort((a, b) =>
    b.cents > a.cents ? 1 : b.cents < a.cents ? -1 : a.name.localeCompare(b.name),
  );
  for (const g of list)
    g.regions.sort((a, b) => (b.cents > a.cents ? 1 : b.cents < a.cents ? -1 : a.code.localeCompare(b.code)));
  return list;
}

export function renderRegions(container, continents, filters, onPick) {
  const total = continents.reduce((s, c) => s + c.cents, 0n);
  if (continents.length === 0) return empty(container, 'No usage in any region for this period.');
  const max = continents.reduce((m, c) => c.regions.reduce((mm, r) => (r.cents > mm ? r.cents : mm), m), 0n);
  const rows = [];
  for (const c of continents) {
    rows.push(
      el(
        'button',
        {
          class: `row continent${filters.continent === c.code ? ' picked' : ''}`,
          dataset: { continent: c.code },
          onclick: () => onPick('continent', c.code),
          title: `Show only ${c.name}`,
        },
        el('span', { class: 'swatch', style: { background: c.color } }),
        el('span', { class: 'name' }, c.name),
        el('span', { class: 'share muted' }, share(c.cents, total)),
        el('span', { class: 'amount' }, money(c.cents)),
      ),
    );
    for (const r of c.regions) {
      rows.push(
        el(
          'button',
          {
            class: `row region${filters.region.includes(r.code) ? ' picked' : ''}`,
            dataset: { region: r.code, amount: r.amount },
            onclick: () => onPick('region', r.code),
            title: `Show only ${r.name}`,
          },
          el('span', { class: 'code' }, r.code),
          el('span', { class: 'name muted' }, r.name),
          bar(r.cents, max, c.color),
          el('span', { class: 'amount' }, money(r.cents)),
        ),
      );
    }
  }
  container.replaceChildren(...rows);
}

export function renderApps(container, answer, filters, onPick) {
  if (answer.rows.length === 0) return empty(container, 'No usage by any app for this period.');
  const sorted = [...answer.rows].sort(
    (a, b) => Number(cents(b.amount) - cents(a.amount)) || a.app.localeCompare(b.app),
  );
  const max = cents(sorted[0].amount);
  const total = cents(answer.total);
  container.replaceChildren(
    ...sorted.map((r) => {
      // Usage without an app cannot be filtered on: it is shown, not offered as a filter.
      const pickable = r.app !== '';
      return el(
        pickable ? 'button' : 'div',
        {
          class: `row app${filters.app.includes(r.app) ? ' picked' : ''}`,
          dataset: { app: r.app, amount: r.amount },
          onclick: pickable ? () => onPick('app', r.app) : null,
        },
        el('span', { class: 'name' }, r.app === '' ? el('em', { class: 'muted' }, 'no app') : r.app),
        bar(cents(r.amount), max),
        el('span', { class: 'share muted' }, share(cents(r.amount), total)),
        el('span', { class: 'amount' }, moneyOf(r.amount)),
      );
    }),
  );
}

export function renderResources(tbody, answer, filters, onPick) {
  if (answer.rows.length === 0) {
    tbody.replaceChildren(
      el(
        'tr',
        {},
        el('td', { colspan: '4' }, el('p', { class: 'empty-state' }, 'No resource had usage in this period.')),
      ),
    );
    return;
  }
  const max = cents(answer.rows[0].amount);
  const total = cents(answer.total);
  tbody.replaceChildren(
    ...answer.rows.map((r, i) =>
      el(
        'tr',
        {
          class: `resource${filters.resource.includes(r.resource) ? ' picked' : ''}`,
          dataset: { resource: r.resource, amount: r.amount },
          onclick: () => onPick('resource', r.resource),
          title: `Show only ${r.resource}`,
        },
        el('td', { class: 'rank muted' }, String(i + 1)),
        el('td', { class: 'name' }, el('code', {}, r.resource)),
        el(
          'td',
          { class: 'barcell' },
          bar(cents(r.amount), max),
          el('span', { class: 'share muted' }, share(cents(r.amount), total)),
        ),
        el('td', { class: 'amount' }, moneyOf(r.amount)),
      ),
    ),
  );
}

export function renderChips(container, list, onRemove) {
  if (list.length === 0) {
    container.replaceChildren(
      el('span', { class: 'muted hint' }, 'Click a continent, region, app or resource to narrow every panel to it.'),
    );
    return;
  }
  container.replaceChildren(
    el('span', { class: 'muted' }, 'Showing only'),
    ...list.map((c) =>
      el(
        'button',
        {
          class: 'chip',
          dataset: { dim: c.dim, value: c.value },
          title: 'Remove this filter',
          onclick: () => onRemove(c.dim, c.value),
        },
        c.label,
        el('span', { class: 'x', 'aria-hidden': 'true' }, '×'),
      ),
    ),
    el('button', { class: 'link clear', onclick: () => onRemove(null, null) }, 'Clear all'),
  );
}

export function setKpi(id, value, sub) {
  document.getElementById(id).textContent = value;
  const subEl = document.getElementById(`${id}-sub`);
  if (subEl) subEl.textContent = sub ?? '';
}

export { count };
