import type { Machine } from './fleet';
import { seeded } from './random';

/** A CloudEvent as a platform host posts it. */
export interface HostEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: Record<string, string | number>;
}

const HOUR_MS = 3_600_000;

/** The platform host that reports for a machine: one per region here. */
export function hostOf(m: Pick<Machine, 'region'>): string {
  return `host/${m.region}-01`;
}

/**
 * The events a machine's host reports for one hour (stamped at the hour's end, as hosts
 * report an interval when it closes). Ids derive from machine, meter and hour, so a re-run
 * for the same hour re-sends the same events, which must count once.
 */
export function hourEvents(m: Machine, hourStart: number): HostEvent[] {
  const rnd = seeded(hourStart / HOUR_MS + Number.parseInt(m.id.slice(2), 36) * 7919);
  const time = new Date(hourStart + HOUR_MS - 1000).toISOString();
  const running = Math.round(3600 * m.duty);
  const base = { org: m.org, app: m.app, region: m.region };
  const source = hostOf(m);
  const ev = (meter: string, type: string, data: Record<string, string | number>): HostEvent => ({
    specversion: '1.0',
    id: `${m.id}/${meter}/${hourStart / HOUR_MS}`,
    source,
    type,
    time,
    data: { ...base, ...data },
  });
  const out = [
    ev('run', 'machine.runtime', { resource: m.id, size: m.size, memory_mb: m.memoryMb, quantity: running }),
  ];
  if (m.gpu) out.push(ev('gpu', 'gpu.runtime', { resource: m.id, gpu: m.gpu, quantity: running }));
  if (m.volumeGb)
    out.push(ev('vol', 'volume.storage', { resource: `vol_${m.id.slice(2)}`, quantity: m.volumeGb * 3600 }));
  if (m.dedicatedIp) out.push(ev('ip', 'ip.dedicated', { resource: `ip_${m.id.slice(2)}`, quantity: 3600 }));
  const egress = Math.floor(m.egressPerHour * m.duty * (0.5 + rnd()));
  if (egress > 0) out.push(ev('egress', 'network.egress', { resource: m.id, quantity: egress }));
  return out;
}

/** All the fleet's events for the hours [fromHour, toHour), hour by hour. */
export function* fleetEvents(fleet: readonly Machine[], fromHour: number, toHour: number): Generator<HostEvent> {
  for (let h = fromHour; h < toHour; h += HOUR_MS) for (const m of fleet) yield* hourEvents(m, h);
}
