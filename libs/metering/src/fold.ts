import type { OrgId } from '@metering/domain';
import { ExactSums } from './quantity';
import { ColumnEvent, UsageColumns } from './usage-columns';

/** The hourly projection's grain: one organization's usage of one SKU, in one app and region, in one UTC hour. */
export interface HourlyBucket {
  org: OrgId;
  hour: number; // epoch ms of the hour's start (UTC)
  sku: string;
  app: string;
  region: string;
  quantity: string; // exact decimal sum
  events: number;
}

/** The drill-down grain: the same, per resource (machine, volume, IP). */
export interface ResourceBucket extends HourlyBucket {
  resource: string;
}

/** Both projections of one set of events. */
export interface UsageFold {
  hourly: HourlyBucket[];
  resources: ResourceBucket[];
}

export type FoldInput = ColumnEvent;

const HOUR_MS = 3_600_000;
const SEP = '\u0000';

export function hourOf(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

/**
 * Sums the events at these indexes into per-resource hourly buckets, and those into hourly
 * buckets. Pure: the same events give the same buckets in any order, and every sum is exact
 * (never a rounded float). Each event is touched once, at the finest grain, through a
 * numeric bucket number; the coarser grain is summed from the few buckets.
 */
export function foldColumns(c: UsageColumns, indexes: ArrayLike<number>): UsageFold {
  if (indexes.length === 0) return { hourly: [], resources: [] };
  let minHour = Infinity;
  for (let n = 0; n < indexes.length; n++) minHour = Math.min(minHour, c.hours[indexes[n]!]!);
  // (hour, series) as one safe integer: hours are bounded by validation, series by the batch.
  const width = c.series.length;
  const fine = new Map<number, number>();
  const bucketSeries: number[] = [];
  const bucketHour: number[] = [];
  const events: number[] = [];
  const sums = new ExactSums();
  for (let n = 0; n < indexes.length; n++) {
    const i = indexes[n]!;
    const key = (c.hours[i]! - minHour) * width + c.seriesOf[i]!;
    let slot = fine.get(key);
    if (slot === undefined) {
      slot = sums.open();
      fine.set(key, slot);
      bucketSeries.push(c.seriesOf[i]!);
      bucketHour.push(c.hours[i]!);
      events.push(0);
    }
    events[slot]! += 1;
    const units = c.units[i]!;
    if (units >= 0) sums.add(slot, units, c.nanos[i]!);
    else sums.addScaled(slot, c.scaled.get(i)!);
  }
  const resources: ResourceBucket[] = new Array(sums.length);
  const coarse = new Map<string, number>();
  const coarseSums = new ExactSums();
  const hourly: HourlyBucket[] = [];
  for (let slot = 0; slot < sums.length; slot++) {
    const s = c.series[bucketSeries[slot]!]!;
    const hour = bucketHour[slot]! * HOUR_MS;
    resources[slot] = {
      org: s.org,
      hour,
      sku: s.sku,
      app: s.app,
      region: s.region,
      resource: s.resource,
      quantity: sums.format(slot),
      events: events[slot]!,
    };
    const key = s.org + SEP + s.app + SEP + s.region + SEP + s.sku + SEP + hour;
    let into = coarse.get(key);
    if (into === undefined) {
      into = coarseSums.open();
      coarse.set(key, into);
      hourly.push({ org: s.org, hour, sku: s.sku, app: s.app, region: s.region, quantity: '', events: 0 });
    }
    coarseSums.addSlot(into, sums, slot);
    hourly[into]!.events += events[slot]!;
  }
  for (let slot = 0; slot < hourly.length; slot++) hourly[slot]!.quantity = coarseSums.format(slot);
  return { hourly, resources };
}

/** Both projections of these events (all of them, as given). */
export function foldUsage(events: readonly FoldInput[]): UsageFold {
  return foldColumns(
    UsageColumns.of(events),
    Array.from({ length: events.length }, (_, i) => i),
  );
}
