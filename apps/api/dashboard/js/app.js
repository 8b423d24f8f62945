// The dashboard: sign-in, then one load per view (period + filters) in which every panel asks
// the API for its own server-side aggregate (at most 20 resources, never every row) and draws
// as soon as its answer arrives.
import * as api from './api.js';
import { cents, count, granularityOf, isoDate, isoTime, money, moneyOf, periodRange, shortDate } from './format.js';
import { addFilter, chips, emptyFilters, filterParams, fromHash, hasFilters, removeFilter, toHash } from './state.js';
import { clear, drawContinents, drawCostBySku } from './charts.js';
import { renderAlerts } from './alerts.js';
import { continentsOf, el, renderApps, renderChips, renderRegions, renderResources, setKpi } from './panels.js';
import { loadMachines } from './machines.js';
import { showMachine } from './machine-page.js';
import { loadBilling } from './billing.js';
import { renderTeams, teamsQuery } from './teams.js';

const $ = (id) => document.getElementById(id);
let session = api.loadSession();
let catalog = null;
let state = fromHash(location.hash);
let generation = 0;
let inFlight = null;
/** The query behind each panel as last shown, for its CSV. */
const shown = {};

const regionsOf = (continent) => catalog.regions.filter((r) => r.continent === continent).map((r) => r.code);
const continentName = (code) => catalog?.continents.find((c) => c.code === code)?.name ?? code;

function show(view) {
  $('sign-in-view').hidden = view !== 'sign-in';
  $('dashboard-view').hidden = view !== 'dashboard';
  $('who').hidden = view !== 'dashboard';
}

function signOut(message) {
  api.clearSession();
  session = null;
  inFlight?.abort();
  generation++;
  document.body.dataset.state = 'signed-out';
  $('sign-in-error').textContent = message ?? '';
  $('sign-in-error').hidden = !message;
  show('sign-in');
  $('token').focus();
}

async function signIn(token, slug) {
  const who = await api.get(token, '/v1/whoami');
  let org;
  if (who.kind === 'member') org = who.org;
  else if (who.kind === 'operator') {
    if (!slug) throw new api.ApiError(400, 'The operator token reads every organization: enter the one to show.');
    org = slug;
  } else throw new api.ApiError(403, 'This token cannot read usage: sign in with a member token.');
  const organization = await api.get(token, `/v1/orgs/${encodeURIComponent(org)}`);
  return { token, org, orgName: organization.name, email: who.email ?? 'operator', role: who.role ?? 'operator' };
}

function setState(next) {
  const hash = toHash(next);
  if (hash === location.hash) void load();
  else location.hash = hash; // hashchange loads it, and the back button goes back a view
}

function pick(dim, value) {
  setState({ ...state, filters: addFilter(state.filters, dim, value) });
}

const openMachine = (machine) => setState({ ...state, machine });

function unpick(dim, value) {
  setState({ ...state, filters: dim === null ? emptyFilters() : removeFilter(state.filters, dim, value) });
}

function panelError(name, e) {
  if (e.name === 'AbortError') return;
  if (e.status === 401) return signOut('Your token is no longer valid (revoked or unknown). Sign in again.');
  const banner = $('error-banner');
  banner.hidden = false;
  banner.textContent =
    e.status === 403
      ? 'This token may not read cost and usage of this organization.'
      : `Could not load ${name}: ${e.message}`;
}

function renderToolbar(range, granularity) {
  for (const b of document.querySelectorAll('[data-period]'))
    b.setAttribute('aria-pressed', String(b.dataset.period === state.period.kind));
  $('custom-range').hidden = state.period.kind !== 'custom';
  $('custom-from').value = isoDate(range.from);
  $('custom-to').value = isoDate(range.to - 86_400_000);
  $('range-label').textContent = `${shortDate(range.from)} – ${shortDate(Math.min(range.to, Date.now()) - 1)} · UTC`;
  $('chart-grain').textContent = granularity === 'hour' ? 'per hour' : 'per day';
  renderChips($('chips'), chips(state.filters, continentName), unpick);
}

/**
 * What the month's total holds besides usage (usage/current's minimum and credit lines): the
 * cost panels price usage only, so the month to date says why it differs from them.
 */
function termsNotes(lines = []) {
  const sum = (kind) => lines.filter((l) => l.kind === kind).reduce((s, l) => s + cents(l.amount), 0n);
  const notes = [];
  const minimum = sum('minimum');
  const credit = sum('credit');
  if (minimum > 0n) notes.push(`incl. ${money(minimum)} monthly minimum`);
  if (credit < 0n) notes.push(`after ${money(-credit)} credit`);
  return notes;
}

const RENDER = {
  teams: (a) => renderTeams($('teams'), a),
  current(a) {
    const notes = termsNotes(a.lines);
    setKpi(
      'kpi-mtd',
      moneyOf(a.total),
      [`${shortDate(Date.parse(a.from))} – today, whole organization`, ...notes].join(' · '),
    );
    setKpi(
      'kpi-forecast',
      moneyOf(a.forecast),
      notes.length > 0
        ? 'if the rest of the month runs like so far, your minimum and credits applied'
        : 'if the rest of the month runs like so far',
    );
  },
  series(a, range, granularity) {
    setKpi('kpi-period', moneyOf(a.total), hasFilters(state.filters) ? `${range.label}, filtered` : range.label);
    const canvas = $('chart-sku');
    $('chart-empty').hidden = a.rows.length > 0;
    if (a.rows.length === 0) return clear(canvas);
    drawCostBySku(canvas, a, range, granularity);
  },
  regions(a) {
    const continents = continentsOf(a, catalog);
    renderRegions($('regions'), continents, state.filters, pick);
    $('continent-empty').hidden = continents.length > 0;
    if (continents.length === 0) return clear($('chart-continent'));
    drawContinents($('chart-continent'), continents, (code) => pick('continent', code));
  },
  apps(a) {
    renderApps($('apps'), a, state.filters, pick);
  },
  resources(a) {
    setKpi(
      'kpi-resources',
      count(a.total_rows),
      a.total_rows > a.rows.length ? `top ${a.rows.length} listed below` : 'with usage in this period',
    );
    renderResources($('resources-body'), a, state.filters, pick);
  },
};

async function load() {
  if (!session) return;
  const gen = ++generation;
  inFlight?.abort();
  inFlight = new AbortController();
  const { signal } = inFlight;
  document.body.dataset.state = 'loading';
  $('error-banner').hidden = true;
  const get = (path) => api.get(session.token, path, { signal });
  try {
    catalog ??= await get('/v1/catalog');
  } catch (e) {
    return panelError('the catalog', e);
  }
  const range = periodRange(state.period);
  const granularity = granularityOf(range);
  renderToolbar(range, granularity);
  const base = { from: isoTime(range.from), to: isoTime(range.to) };
  const costs = `/v1/orgs/${encodeURIComponent(session.org)}/costs`;
  document.body.dataset.page = state.machine ? 'machine' : 'overview';
  if (state.machine) {
    const shownMachine = await showMachine(session, state.machine, range, granularity, base, signal).then(
      () => true,
      (e) => (gen === generation && panelError('the machine', e), false),
    );
    if (gen !== generation) return;
    document.body.dataset.view = toHash(state);
    document.body.dataset.state = shownMachine ? 'ready' : 'error';
    return;
  }
  Object.assign(shown, {
    series: { ...base, granularity, group_by: 'sku', ...filterParams(state.filters, regionsOf) },
    regions: { ...base, granularity: 'total', group_by: 'region', ...filterParams(state.filters, regionsOf, 'region') },
    apps: { ...base, granularity: 'total', group_by: 'app', ...filterParams(state.filters, regionsOf, 'app') },
    teams: teamsQuery(base, filterParams(state.filters, regionsOf)),
    resources: {
      ...base,
      granularity: 'total',
      group_by: 'resource',
      order: 'amount',
      limit: 20,
      ...filterParams(state.filters, regionsOf, 'resource'),
    },
  });
  const requests = {
    current: get(`/v1/orgs/${encodeURIComponent(session.org)}/usage/current`),
    ...Object.fromEntries(
      ['series', 'regions', 'apps', 'teams', 'resources'].map((p) => [p, get(`${costs}?${api.query(shown[p])}`)]),
    ),
  };
  const outcomes = await Promise.allSettled(
    Object.entries(requests).map(([name, request]) =>
      request.then(
        (answer) => gen === generation && RENDER[name](answer, range, granularity),
        (e) => {
          if (gen === generation) panelError(name, e);
          throw e;
        },
      ),
    ),
  );
  if (gen !== generation) return;
  // Which view is on screen, for whoever waits for it (the end-to-end test, the benchmark).
  document.body.dataset.view = toHash(state);
  document.body.dataset.state = outcomes.some((o) => o.status === 'rejected') ? 'error' : 'ready';
  // After the overview: every resource of the view (priced on the server once per view) and the
  // billing panel draw on their own (their own data-state), never delaying the panels above.
  loadMachines(session, { ...base, ...filterParams(state.filters, regionsOf) }, openMachine).catch(
    (e) => gen === generation && panelError('the resources', e),
  );
  loadBilling(session, signal).catch((e) => gen === generation && panelError('the billing panel', e));
}

async function downloadCsv(panel) {
  const params = shown[panel];
  if (!params || !session) return;
  try {
    const blob = await api.get(
      session.token,
      `/v1/orgs/${encodeURIComponent(session.org)}/costs?${api.query({ ...params, format: 'csv' })}`,
      { as: 'blob' },
    );
    const a = el('a', {
      href: URL.createObjectURL(blob),
      download: `${session.org}-costs-${panel}-${params.from.slice(0, 10)}-${params.to.slice(0, 10)}.csv`,
    });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (e) {
    panelError('the CSV', e);
  }
}

function wire() {
  $('sign-in-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('sign-in-form').querySelector('button[type=submit]');
    button.disabled = true;
    $('sign-in-error').hidden = true;
    try {
      session = await signIn($('token').value.trim(), $('org-slug').value.trim());
      api.saveSession(session);
      $('token').value = '';
      start();
    } catch (err) {
      $('sign-in-error').textContent =
        err.status === 401
          ? 'This token is not valid: it is unknown or was revoked.'
          : err.status === 404
            ? 'No such organization for this token.'
            : err.message;
      $('sign-in-error').hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('machine-back').addEventListener('click', () => setState({ ...state, machine: null }));
  for (const b of document.querySelectorAll('[data-period]')) {
    b.addEventListener('click', () => {
      if (b.dataset.period !== 'custom') return setState({ ...state, period: { kind: b.dataset.period } });
      const range = periodRange(state.period);
      setState({ ...state, period: { kind: 'custom', from: isoDate(range.from), to: isoDate(range.to - 86_400_000) } });
    });
  }
  $('custom-range').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $('custom-from').value;
    const to = $('custom-to').value;
    if (from && to && from <= to) setState({ ...state, period: { kind: 'custom', from, to } });
  });
  for (const b of document.querySelectorAll('[data-csv]'))
    b.addEventListener('click', () => downloadCsv(b.dataset.csv));
  window.addEventListener('hashchange', () => {
    state = fromHash(location.hash);
    void load();
  });
}

function start() {
  $('org-name').textContent = session.orgName || session.org;
  $('who-email').textContent = `${session.email} · ${session.role}`;
  show('dashboard');
  void load();
  void renderAlerts($('alerts-panel'), session);
}

wire();
if (session) start();
else signOut();
