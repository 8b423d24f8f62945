// The Machines panel: every resource of the view (not only the top 20), found by typing any
// part of its id, ranked by cost and paged by the API's cursor. The first load prices the
// window once on the server; each keystroke after it is answered from there, in milliseconds.
import * as api from './api.js';
import { count, moneyOf } from './format.js';
import { el } from './panels.js';

const PAGE = 50;
const TYPING_MS = 80;

let ctx = null; // { token, org, params, onOpen }
let shown = [];
let next = null;
let timer = null;
let asked = 0;

const $ = (id) => document.getElementById(id);

function url(q, cursor) {
  const params = { ...ctx.params, q, match: 'contains', sort: 'cost', limit: PAGE, cursor };
  return `/v1/orgs/${encodeURIComponent(ctx.org)}/resources?${api.query(params)}`;
}

function row(r) {
  return el(
    'tr',
    {
      class: 'resource',
      dataset: { resource: r.resource, cost: r.cost },
      onclick: () => ctx.onOpen(r.resource),
      title: `Open ${r.resource}`,
    },
    el('td', { class: 'name' }, el('code', {}, r.resource)),
    el('td', {}, r.region),
    el('td', {}, r.app === '' ? el('em', { class: 'muted' }, 'no app') : r.app),
    el('td', { class: 'skus muted' }, r.skus.join(', ')),
    el('td', { class: 'amount' }, moneyOf(r.cost)),
  );
}

function render(answer, q, ms) {
  const body = $('machines-body');
  if (shown.length === 0)
    body.replaceChildren(
      el(
        'tr',
        {},
        el(
          'td',
          { colspan: '5' },
          el('p', { class: 'empty-state' }, q ? `No resource id contains “${q}”.` : 'No resource had usage.'),
        ),
      ),
    );
  else body.replaceChildren(...shown.map(row));
  $('machines-count').textContent = q
    ? `${count(answer.matched)} matching “${q}”`
    : `${count(answer.matched)} resource${answer.matched === 1 ? '' : 's'}, costliest first`;
  $('machines-more').hidden = next === null;
  const panel = $('machines');
  panel.dataset.q = q;
  panel.dataset.ms = String(Math.round(ms));
  panel.dataset.state = 'ready';
}

async function search(q, cursor = null) {
  const mine = ++asked;
  $('machines').dataset.state = 'loading';
  const t0 = window.performance.now();
  const answer = await api.get(ctx.token, url(q, cursor));
  if (mine !== asked) return;
  shown = cursor ? [...shown, ...answer.resources] : answer.resources;
  next = answer.next_cursor;
  render(answer, q, window.performance.now() - t0);
}

function fail(e) {
  if (e.name === 'AbortError') return;
  $('machines').dataset.state = 'error';
  $('machines-count').textContent = `Could not search: ${e.message}`;
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  $('machine-search').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search($('machine-search').value.trim()).catch(fail), TYPING_MS);
  });
  $('machine-search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && shown.length > 0) ctx.onOpen(shown[0].resource);
  });
  $('machines-more').addEventListener('click', () => search($('machine-search').value.trim(), next).catch(fail));
}

/** Loads the panel for a view: `params` are the window and the filters of every panel. */
export function loadMachines(session, params, onOpen) {
  ctx = { token: session.token, org: session.org, params, onOpen };
  wire();
  return search($('machine-search').value.trim());
}
