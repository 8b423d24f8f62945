import { fromScaled, toScaled, type UsageEvent } from '@metering/catalog';

/** The projection's grain: one organization's usage of one SKU, in one app and region, in one UTC hour. */
export interface HourlyBucket {
  org: string;
  hour: number; // epoch ms of the hour's start (UTC)
  sku: string;
  app: string;
  region: string;
  quantity: string; // exact decimal sum
  events: number;
}

export type FoldInput = Pick<UsageEvent, 'org' | 'time' | 'sku' | 'app' | 'region' | 'quantity'>;

const HOUR_MS = 3_600_000;

export function hourOf(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

/**
 * Sums events into hourly buckets. Pure: the same events give the same buckets in any order,
 * and the sum is exact (quantities are added as fixed-scale integers, never floats).
 */
export function foldHourly(events: readonly FoldInput[]): HourlyBucket[] {
  const acc = new Map<string, { bucket: Omit<HourlyBucket, 'quantity'>; scaled: bigint }>();
  for (const e of events) {
    const hour = hourOf(e.time);
    // \u0000 cannot appear in any field: the catalog refuses control characters.
    const key = `${e.org}\u0000${hour}\u0000${e.sku}\u0000${e.app}\u0000${e.region}`;
    const found = acc.get(key);
    if (found) {
      found.scaled += toScaled(e.quantity);
      found.bucket.events += 1;
    } else {
      acc.set(key, {
        bucket: { org: e.org, hour, sku: e.sku, app: e.app, region: e.region, events: 1 },
        scaled: toScaled(e.quantity),
      });
    }
  }
  const out: HourlyBucket[] = [];
  for (const { bucket, scaled } of acc.values()) out.push({ ...bucket, quantity: fromScaled(scaled) });
  return out;
}
