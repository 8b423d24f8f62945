import { asValidatedOrg } from '@metering/domain';
import { skuFor, type UsageEvent } from '@metering/catalog';
import { hostOf, Machine, seeded, simulateFleet } from '@metering/fleet';

/**
 * The fold benchmark's event stream: a simulated fleet whose hosts report every machine's
 * usage every five minutes (an interval closes, the host reports it), plus re-sends. Every
 * ninth event is sent again two intervals later, as a host re-sends a batch it got no answer
 * for, so the stream is 10% duplicates that land in later Kafka batches than their originals.
 */
export interface StreamShape {
  total: number;
  machines: number;
  orgs: number;
  /** Minutes between two reports of a machine. */
  intervalMinutes: number;
  /** The first interval starts here (epoch ms, on an hour). */
  start: number;
}

export interface StreamEvent {
  event: UsageEvent;
  resend: boolean;
}

const RESEND_EVERY = 9;
const RESEND_AFTER_INTERVALS = 2;

export function orgSlugs(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `org-${String(i).padStart(3, '0')}`);
}

function intervalEvents(m: Machine, index: number, intervalMs: number, start: number, rnd: () => number): UsageEvent[] {
  const time = start + (index + 1) * intervalMs - 1000;
  const seconds = intervalMs / 1000;
  const running = Math.round(seconds * m.duty);
  const source = hostOf(m);
  const ev = (
    meter: string,
    type: string,
    resource: string,
    attrs: Record<string, string>,
    quantity: number,
  ): UsageEvent => ({
    id: `${m.id}/${meter}/${index}`,
    source,
    type,
    time,
    org: asValidatedOrg(m.org),
    app: m.app,
    resource,
    region: m.region,
    quantity: String(quantity),
    sku: skuFor(type, attrs, m.region),
    size: attrs['size'] ?? null,
    gpu: attrs['gpu'] ?? null,
    memoryMb: type === 'machine.runtime' ? m.memoryMb : null,
  });
  const out = [ev('run', 'machine.runtime', m.id, { size: m.size }, running)];
  if (m.gpu) out.push(ev('gpu', 'gpu.runtime', m.id, { gpu: m.gpu }, running));
  if (m.volumeGb) out.push(ev('vol', 'volume.storage', `vol_${m.id.slice(2)}`, {}, m.volumeGb * seconds));
  if (m.dedicatedIp) out.push(ev('ip', 'ip.dedicated', `ip_${m.id.slice(2)}`, {}, seconds));
  const egress = Math.floor((m.egressPerHour / (3_600_000 / intervalMs)) * m.duty * (0.5 + rnd()));
  if (egress > 0) out.push(ev('egress', 'network.egress', m.id, {}, egress));
  return out;
}

/** The stream, deterministic for a shape: exactly `total` events, 10% of them re-sends. */
export function* benchStream(shape: StreamShape): Generator<StreamEvent> {
  const fleet = simulateFleet({ machines: shape.machines, orgs: orgSlugs(shape.orgs), seed: 7 });
  const intervalMs = shape.intervalMinutes * 60_000;
  const rnd = seeded(11);
  const distinctWanted = Math.round((shape.total * RESEND_EVERY) / (RESEND_EVERY + 1));
  const resends = new Map<number, UsageEvent[]>();
  let distinct = 0;
  let emitted = 0;
  for (let index = 0; emitted < shape.total; index++) {
    for (const e of resends.get(index) ?? []) {
      if (emitted === shape.total) return;
      emitted++;
      yield { event: e, resend: true };
    }
    resends.delete(index);
    if (distinct >= distinctWanted) continue;
    for (const m of fleet) {
      for (const e of intervalEvents(m, index, intervalMs, shape.start, rnd)) {
        if (distinct >= distinctWanted || emitted === shape.total) break;
        distinct++;
        emitted++;
        yield { event: e, resend: false };
        if (distinct % RESEND_EVERY === 0) {
          const later = index + RESEND_AFTER_INTERVALS;
          const queue = resends.get(later) ?? [];
          queue.push(e);
          resends.set(later, queue);
        }
      }
    }
  }
}
