import { Dec } from '@metering/domain';

/** A CloudEvent as a host posts it. */
export interface PostedEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: { org: string; app: string; resource: string; region: string; quantity: number; size?: string };
}

const HOUR = 3_600_000;
const REGIONS = ['ord', 'fra', 'sin', 'gru'];
const APPS = ['web', 'worker', 'api'];
const SIZES = ['shared-cpu-1x', 'performance-1x', 'performance-2x'];

/**
 * A small organization's last `hours` hours: 12 machines over four continents and three apps
 * (every fourth one runs only in the daytime), their egress (following the day), and three volumes. Distinct amounts
 * per machine, so "the top resource" is one resource.
 */
export function smallFleet(org: string, hours: number, now = Date.now()): PostedEvent[] {
  const events: PostedEvent[] = [];
  const currentHour = Math.floor(now / HOUR) * HOUR;
  for (let h = 1; h <= hours; h++) {
    const time = new Date(currentHour - h * HOUR + 30 * 60_000).toISOString();
    const event = (id: string, type: string, data: Omit<PostedEvent['data'], 'org'>): PostedEvent => ({
      specversion: '1.0',
      id: `${id}-h${h}`,
      source: `host/${data.region}-1`,
      type,
      time,
      data: { org, ...data },
    });
    // Traffic follows the day (UTC), so the chart has the shape a real one has.
    const hourOfDay = new Date(time).getUTCHours();
    const daytime = hourOfDay >= 7 && hourOfDay < 22;
    const traffic = 1 + 0.7 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
    for (let i = 0; i < 12; i++) {
      const where = { region: REGIONS[i % 4]!, app: APPS[i % 3]!, resource: `m_${String(i + 1).padStart(2, '0')}` };
      if (i % 4 !== 0 || daytime)
        events.push(event(`run-${i}`, 'machine.runtime', { ...where, size: SIZES[i % 3]!, quantity: 3000 + i * 50 }));
      events.push(
        event(`egress-${i}`, 'network.egress', { ...where, quantity: Math.round((i + 1) * 1_000_000_000 * traffic) }),
      );
    }
    for (let v = 0; v < 3; v++) {
      events.push(
        event(`vol-${v}`, 'volume.storage', {
          region: REGIONS[v]!,
          app: APPS[v]!,
          resource: `vol_${v + 1}`,
          quantity: (v + 1) * 100 * 3600,
        }),
      );
    }
  }
  return events;
}

/** The catalog's SKU of a posted event (enough of it for these events). */
export function skuOf(e: PostedEvent): string {
  const zone: Record<string, string> = { ord: 'na', fra: 'eu', sin: 'apac', gru: 'sa' };
  if (e.type === 'machine.runtime') return `machine.runtime/${e.data.size}`;
  if (e.type === 'network.egress') return `network.egress/${zone[e.data.region]}`;
  return e.type;
}

/** Σ quantity × unit price, computed here from the events and the price book, independently of the API. */
export function expectedCost(
  events: readonly PostedEvent[],
  prices: ReadonlyMap<string, string>,
  where: (e: PostedEvent) => boolean = () => true,
): string {
  let total = Dec.ZERO;
  for (const e of events)
    if (where(e)) total = total.add(Dec.of(String(e.data.quantity)).mul(Dec.of(prices.get(skuOf(e))!)));
  return total.toFixed(2);
}

/** "$1,234.56" from "1234.56", as the dashboard writes money. */
export function dollars(amount: string): string {
  const [whole, frac = '00'] = amount.split('.');
  return `$${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac.padEnd(2, '0')}`;
}
