// What the dashboard shows: a period and filters, kept in the address (#...) so that a view
// can be reloaded, bookmarked and shared (the token is never part of it).

const PERIODS = ['this-month', 'last-month', 'last-7-days'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function emptyFilters() {
  return { continent: null, region: [], app: [], resource: [] };
}

export function fromHash(hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const from = q.get('from');
  const to = q.get('to');
  const period =
    from && to && DATE.test(from) && DATE.test(to) && from <= to
      ? { kind: 'custom', from, to }
      : { kind: PERIODS.includes(q.get('period')) ? q.get('period') : 'this-month' };
  const filters = emptyFilters();
  filters.continent = q.get('continent') || null;
  for (const dim of ['region', 'app', 'resource']) filters[dim] = [...new Set(q.getAll(dim))];
  // One machine's page instead of the overview (machine-page.js).
  const machine = q.get('machine') || null;
  return { period, filters, machine };
}

export function toHash(state) {
  const q = new URLSearchParams();
  if (state.period.kind === 'custom') {
    q.set('from', state.period.from);
    q.set('to', state.period.to);
  } else {
    q.set('period', state.period.kind);
  }
  if (state.filters.continent) q.set('continent', state.filters.continent);
  for (const dim of ['region', 'app', 'resource']) for (const v of state.filters[dim]) q.append(dim, v);
  if (state.machine) q.set('machine', state.machine);
  return `#${q.toString()}`;
}

/** A click on a breakdown: a continent replaces region picks and the other way round. */
export function addFilter(filters, dim, value) {
  const next = { ...filters, region: [...filters.region], app: [...filters.app], resource: [...filters.resource] };
  if (dim === 'continent') {
    next.continent = value;
    next.region = [];
  } else {
    if (dim === 'region') next.continent = null;
    if (!next[dim].includes(value)) next[dim].push(value);
  }
  return next;
}

export function removeFilter(filters, dim, value) {
  if (dim === 'continent') return { ...filters, continent: null };
  return { ...filters, [dim]: filters[dim].filter((v) => v !== value) };
}

export function hasFilters(filters) {
  return Boolean(filters.continent) || filters.region.length + filters.app.length + filters.resource.length > 0;
}

/**
 * The API filters for one panel. A breakdown ignores its own dimension's filter, so it keeps
 * showing every choice (the picked ones highlighted) while the rest of the page narrows.
 */
export function filterParams(filters, regionsOf, ignore = null) {
  const out = {};
  if (ignore !== 'region') {
    if (filters.region.length > 0) out.region = filters.region;
    else if (filters.continent) out.region = regionsOf(filters.continent);
  }
  if (ignore !== 'app' && filters.app.length > 0) out.app = filters.app;
  if (ignore !== 'resource' && filters.resource.length > 0) out.resource = filters.resource;
  return out;
}

/** Chips for the filter bar, in a stable order. */
export function chips(filters, continentName) {
  const out = [];
  if (filters.continent)
    out.push({ dim: 'continent', value: filters.continent, label: `Continent: ${continentName(filters.continent)}` });
  for (const v of filters.region) out.push({ dim: 'region', value: v, label: `Region: ${v}` });
  for (const v of filters.app) out.push({ dim: 'app', value: v, label: `App: ${v === '' ? '(none)' : v}` });
  for (const v of filters.resource) out.push({ dim: 'resource', value: v, label: `Resource: ${v}` });
  return out;
}
