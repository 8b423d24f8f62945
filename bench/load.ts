import type { HostEvent } from '@metering/fleet';
import { benchCall } from './services';

const REGIONS = ['ord', 'fra', 'sin', 'gru', 'syd', 'jnb'];
const SIZES = ['shared-cpu-1x', 'shared-cpu-2x', 'performance-1x', 'performance-2x'];

/** A batch of distinct machine.runtime events of `org`, ids prefixed so no two runs collide. */
export function loadBatch(prefix: string, from: number, n: number, org: string, now: number): HostEvent[] {
  const time = new Date(now).toISOString();
  const out: HostEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = from + i;
    out[i] = {
      specversion: '1.0',
      id: `${prefix}-${k}`,
      source: `host/bench-${k % 16}`,
      type: 'machine.runtime',
      time,
      data: {
        org,
        app: `app-${k % 3}`,
        resource: `m_${k % 10_000}`,
        region: REGIONS[k % REGIONS.length]!,
        size: SIZES[k % SIZES.length]!,
        quantity: 60,
      },
    };
  }
  return out;
}

/** Posts batches at a steady rate (events/s) until stopped; returns what was accepted. */
export function steadyLoad(opts: {
  collector: string;
  token: string;
  org: string;
  rate: number;
  batch: number;
  prefix: string;
  maxInFlight?: number;
}) {
  let stopped = false;
  let sent = 0;
  let accepted = 0;
  let behind = 0;
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const done = (async () => {
    while (!stopped) {
      const due = Math.floor(((Date.now() - started) / 1000) * opts.rate);
      if (sent + opts.batch > due) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      if (inFlight.size >= (opts.maxInFlight ?? 16)) {
        behind++;
        await Promise.race(inFlight);
        continue;
      }
      const batch = loadBatch(opts.prefix, sent, opts.batch, opts.org, Date.now());
      sent += opts.batch;
      const p = benchCall(`${opts.collector}/v1/events`, opts.token, batch).then((r: { accepted: number }) => {
        accepted += r.accepted;
      });
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
  })();
  return {
    async stop(): Promise<{ accepted: number; seconds: number; behind: number }> {
      stopped = true;
      await done;
      return { accepted, seconds: (Date.now() - started) / 1000, behind };
    },
  };
}
