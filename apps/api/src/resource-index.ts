import type { CostRepository } from '@metering/db';
import type { OrgId } from '@metering/domain';
import { ResourceSkuRow, ResourceSummary, ResourceSort, summarize } from './resource-pages';

/** Windows kept: the dashboard's few periods for a few hundred organizations. */
const KEPT = 256;

export interface ResourceWindow {
  from: Date;
  to: Date;
  filters: { region: string[]; app: string[]; sku: string[] };
}

interface Entry {
  version: string;
  summaries: Promise<Record<ResourceSort, ResourceSummary[]>>;
}

/**
 * Every resource of an organization in a window, with its cost priced as the costs endpoint
 * prices it (the same query: per resource, region, app and SKU, over the whole window), kept
 * in both orders until the organization's watermark changes. Searches, sorts and pages are then
 * answered from memory: typing a few characters of an id does not price 10,000 machines again.
 * Concurrent callers of one window and version share one computation.
 */
export class ResourceIndex {
  private readonly entries = new Map<string, Entry>();
  computed = 0;

  constructor(private readonly costs: Pick<CostRepository, 'costs' | 'watermark'>) {}

  async summaries(org: OrgId, w: ResourceWindow, sort: ResourceSort): Promise<ResourceSummary[]> {
    const version = await this.costs.watermark(org, w.from, w.to);
    const key = JSON.stringify([org, w.from.toISOString(), w.to.toISOString(), w.filters]);
    let entry = this.entries.get(key);
    if (!entry || entry.version !== version) {
      entry = { version, summaries: this.compute(org, w) };
      if (this.entries.size >= KEPT) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, entry);
      const mine = entry;
      // A failed computation is not kept: the next caller tries again.
      mine.summaries.catch(() => {
        if (this.entries.get(key) === mine) this.entries.delete(key);
      });
    } else {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return (await entry.summaries)[sort];
  }

  private async compute(org: OrgId, w: ResourceWindow): Promise<Record<ResourceSort, ResourceSummary[]>> {
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
    const rows = answer.rows as ResourceSkuRow[];
    const byCost = summarize(rows, 'cost');
    const byResource = [...byCost].sort((a, b) => (a.resource < b.resource ? -1 : 1));
    return { cost: byCost, resource: byResource };
  }
}
