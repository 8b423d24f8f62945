import { createHash } from 'node:crypto';
import { unitOf } from '@metering/catalog';
import { Dec } from '@metering/domain';
import type { FaultDetail } from '@metering/service';

/** One cost row of a resource in the window: per (resource, region, app, sku), amount exact. */
export interface ResourceSkuRow {
  resource: string;
  region: string;
  app: string;
  sku: string;
  quantity: string;
  amount: string;
}

export interface ResourceSku {
  sku: string;
  unit: string;
  quantity: Dec;
  cost: Dec;
}

/** A resource over the window, its cost exact (rounded only on the wire). */
export interface ResourceSummary {
  resource: string;
  /** Where most of its cost was (a resource that moved has rows in several). */
  region: string;
  app: string;
  /** Costliest first, then by name. */
  skus: ResourceSku[];
  cost: Dec;
}

export type ResourceSort = 'cost' | 'resource';

/** The position after the last resource of a page, in the page's order. */
export type Position = { sort: 'resource'; resource: string } | { sort: 'cost'; cost: Dec; resource: string };

const byCostThenName = (a: { cost: Dec; name: string }, b: { cost: Dec; name: string }) =>
  b.cost.cmp(a.cost) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The cost rows folded into one summary per resource, in `sort` order: `cost` highest first,
 * ties by resource id; `resource` ascending (by UTF-16 code units, as the cursor compares).
 */
export function summarize(rows: readonly ResourceSkuRow[], sort: ResourceSort): ResourceSummary[] {
  const byResource = new Map<string, { skus: Map<string, ResourceSku>; places: Map<string, Dec>; cost: Dec }>();
  for (const r of rows) {
    let s = byResource.get(r.resource);
    if (!s) byResource.set(r.resource, (s = { skus: new Map(), places: new Map(), cost: Dec.ZERO }));
    const amount = Dec.of(r.amount);
    const sku = s.skus.get(r.sku) ?? { sku: r.sku, unit: unitOf(r.sku) ?? '', quantity: Dec.ZERO, cost: Dec.ZERO };
    sku.quantity = sku.quantity.add(Dec.of(r.quantity));
    sku.cost = sku.cost.add(amount);
    s.skus.set(r.sku, sku);
    const place = JSON.stringify([r.region, r.app]);
    s.places.set(place, (s.places.get(place) ?? Dec.ZERO).add(amount));
    s.cost = s.cost.add(amount);
  }
  const out: ResourceSummary[] = [];
  for (const [resource, s] of byResource) {
    const place = [...s.places].map(([name, cost]) => ({ name, cost })).sort(byCostThenName)[0]!.name;
    const [region, app] = JSON.parse(place) as [string, string];
    const skus = [...s.skus.values()].sort((a, b) => byCostThenName({ ...a, name: a.sku }, { ...b, name: b.sku }));
    out.push({ resource, region, app, skus, cost: s.cost });
  }
  return out.sort(
    sort === 'cost'
      ? (a, b) => byCostThenName({ cost: a.cost, name: a.resource }, { cost: b.cost, name: b.resource })
      : (a, b) => (a.resource < b.resource ? -1 : 1),
  );
}

/** Whether a summary comes after `p` in the order of its sort. */
function isAfter(s: ResourceSummary, p: Position): boolean {
  if (p.sort === 'resource') return s.resource > p.resource;
  const c = s.cost.cmp(p.cost);
  return c < 0 || (c === 0 && s.resource > p.resource);
}

export type Match = 'prefix' | 'contains';

/**
 * Which resources a query keeps: ids with `q` as a prefix (`match=contains`: anywhere in the
 * id), and, when `ids` are named, only those.
 */
export function matcherOf(q: string, match: Match, ids: readonly string[] = []): (s: ResourceSummary) => boolean {
  const named = ids.length > 0 ? new Set(ids) : null;
  const hasQ =
    q === '' ? () => true : match === 'prefix' ? (id: string) => id.startsWith(q) : (id: string) => id.includes(q);
  return (s) => hasQ(s.resource) && (named === null || named.has(s.resource));
}

/**
 * One page: the resources `matches` keeps after `after` (none: from the start), at most `limit`,
 * and the position after the last one when more follow. The position is a key, not an index,
 * so resources added or re-priced by folds between pages never shift the rest of the pages.
 */
export function page(
  all: readonly ResourceSummary[],
  o: { sort: ResourceSort; matches: (s: ResourceSummary) => boolean; limit: number; after: Position | null },
): { resources: ResourceSummary[]; next: Position | null } {
  const matches = o.matches;
  let i = 0;
  if (o.after) {
    const after = o.after;
    // Sorted in the cursor's own order: the first resource past it, by binary search.
    let [lo, hi] = [0, all.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (isAfter(all[mid]!, after)) hi = mid;
      else lo = mid + 1;
    }
    i = lo;
  }
  const resources: ResourceSummary[] = [];
  for (; i < all.length && resources.length <= o.limit; i++) if (matches(all[i]!)) resources.push(all[i]!);
  const more = resources.length > o.limit;
  if (more) resources.pop();
  const last = resources[resources.length - 1];
  const next: Position | null =
    more && last
      ? o.sort === 'cost'
        ? { sort: 'cost', cost: last.cost, resource: last.resource }
        : { sort: 'resource', resource: last.resource }
      : null;
  return { resources, next };
}

/** What binds a cursor to its query: every parameter except the limit and the cursor itself. */
export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

/** Opaque to clients: base64url of the query's fingerprint and the position. */
export function encodeCursor(fingerprint: string, p: Position): string {
  const body = p.sort === 'cost' ? [fingerprint, 'c', p.cost.toString(), p.resource] : [fingerprint, 'r', p.resource];
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The position of a cursor made for the query with `fingerprint`, or the fault to answer with. */
export function decodeCursor(
  cursor: string,
  fingerprint: string,
  sort: ResourceSort,
): { ok: true; position: Position } | { ok: false; fault: FaultDetail } {
  const bad = (message: string) => ({ ok: false as const, fault: { path: 'cursor', message } });
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) return bad('not a cursor of this endpoint');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return bad('not a cursor of this endpoint');
  }
  if (!Array.isArray(body) || !body.every((x) => typeof x === 'string')) return bad('not a cursor of this endpoint');
  const [fp, kind, ...rest] = body as string[];
  if (fp !== fingerprint)
    return bad('made for another query: pass it back with the same parameters (only limit may change)');
  if (kind === 'r' && sort === 'resource' && rest.length === 1)
    return { ok: true, position: { sort, resource: rest[0]! } };
  if (kind === 'c' && sort === 'cost' && rest.length === 2) {
    try {
      return { ok: true, position: { sort, cost: Dec.of(rest[0]!), resource: rest[1]! } };
    } catch {
      return bad('not a cursor of this endpoint');
    }
  }
  return bad('not a cursor of this endpoint');
}
