import type { OrgId } from '@metering/domain';

/** What a per-resource bucket is keyed by, besides the hour. */
export interface Series {
  org: OrgId;
  app: string;
  region: string;
  sku: string;
  resource: string;
}

const SEP = '\u0000'; // cannot occur in any field: the catalog refuses control characters

/**
 * Series by number, append-only: a batch's columns refer to series by their index here, so a
 * series' five strings exist once, not once per event, and (shared between batches) not once
 * per batch either. Entries never change; a holder that finds the table `full` starts a new
 * one for later batches, while batches already decoded keep the one they were decoded with.
 */
export class SeriesTable {
  readonly series: Series[] = [];
  private readonly byText = new Map<string, number>();

  constructor(readonly limit = 250_000) {}

  get size(): number {
    return this.series.length;
  }

  get full(): boolean {
    return this.series.length >= this.limit;
  }

  /** The index of this series, added if new. */
  indexOf(s: Series): number {
    const text = s.org + SEP + s.app + SEP + s.region + SEP + s.sku + SEP + s.resource;
    let index = this.byText.get(text);
    if (index === undefined) {
      index = this.series.push({ org: s.org, app: s.app, region: s.region, sku: s.sku, resource: s.resource }) - 1;
      this.byText.set(text, index);
    }
    return index;
  }
}
