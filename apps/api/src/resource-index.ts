import type { CostRepository } from '@metering/db';
import type { OrgId } from '@metering/domain';
import { FreshRead } from './fresh-read';
import { ResourceSkuRow, ResourceSummary, ResourceSort, summarize } from './resource-pages';

/** Windows kept: the dashboard's few periods for a few hundred organizations. */
const KEPT = 256;

/**
 * How old the list may be while a newer one is priced: pricing a month of 10,000 machines
 * takes about a second, and an organization whose hosts post all the time changes it every
 * fold, so every search would otherwise wait for one.
 */
export const RESOURCE_LIST_STALE_MS = 5_000;

export interface ResourceWindow {
  from: Date;
  to: Date;
  filters: { region: string[]; app: string[]; sku: string[] };
}

type Sorted = Record<ResourceSort, ResourceSummary[]>;

interface Computed {
  version: string;
  /** When its reads began: the data is at least as new as this. */
  startedAt: number;
  sorted: Sorted;
}

interface Entry {
  last: Computed | null;
  /** One pricing at a time per window, and one queued after it that every later caller joins. */
  reader: FreshRead<Computed>;
}

/**
 * Every resource of an organization in a window, with its cost priced as the costs endpoint
 * prices it (the same query: per resource, region, app and SKU, over the whole window), kept
 * in both orders. Searches, sorts and pages are answered from memory: typing a few characters
 * of an id does not price 10,000 machines again.
 *
 * Fresh when the organization's watermark has not moved. When it has, the list kept is still
 * served if its reads began at most `staleMs` ago, while a newer list is priced in the
 * background (one pricing per window at a time, one queued); older than that, the caller waits
 * for the new one. So an answer is at most `staleMs` behind the projections.
 */
export class ResourceIndex {
  private readonly entries = new Map<string, Entry>();
  computed = 0;

  constructor(
    private readonly costs: Pick<CostRepository, 'costs' | 'watermark'>,
    private readonly staleMs = RESOURCE_LIST_STALE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async summaries(org: OrgId, w: ResourceWindow, sort: ResourceSort): Promise<ResourceSummary[]> {
    const version = await this.costs.watermark(org, w.from, w.to);
    const entry = this.entryOf(org, w);
    if (entry.last && entry.last.version === version) return entry.last.sorted[sort];
    const next = entry.reader.get();
    if (entry.last && this.now() - entry.last.startedAt <= this.staleMs) {
      next.catch(() => undefined);
      return entry.last.sorted[sort];
    }
    return (await next).sorted[sort];
  }

  private entryOf(org: OrgId, w: ResourceWindow): Entry {
    const key = JSON.stringify([org, w.from.toISOString(), w.to.toISOString(), w.filters]);
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      const made: Entry = {
        last: null,
        reader: new FreshRead(async () => {
          // The version first: the list is at least as new as the version it is kept under.
          const startedAt = this.now();
          const version = await this.costs.watermark(org, w.from, w.to);
          const computed = { version, startedAt, sorted: await this.compute(org, w) };
          if (!made.last || made.last.startedAt <= startedAt) made.last = computed;
          return computed;
        }),
      };
      entry = made;
      if (this.entries.size >= KEPT) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, entry);
    return entry;
  }

  private async compute(org: OrgId, w: ResourceWindow): Promise<Sorted> {
    this.computed++;
    const answer = await this.costs.costs(org, {
      from: w.from,
      to: w.to,
      granularity: 'total',
      tz: 'UTC',
      groupBy: ['resource', 'region', 'app', 'sku'],
      filters: { ...w.filters, resource: [] },
      order: 'time',
      limit: null,
    });
    const byCost = summarize(answer.rows as ResourceSkuRow[], 'cost');
    const byResource = [...byCost].sort((a, b) => (a.resource < b.resource ? -1 : 1));
    return { cost: byCost, resource: byResource };
  }
}
