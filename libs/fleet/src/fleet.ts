import { regions } from '@metering/catalog';
import { pick, seeded, weighted } from './random';

/** One simulated customer VM (with, sometimes, a GPU, a volume and a dedicated IP). */
export interface Machine {
  id: string;
  org: string;
  app: string;
  region: string;
  size: string;
  memoryMb: number;
  gpu: string | null;
  volumeGb: number | null;
  dedicatedIp: boolean;
  /** Fraction of each hour the machine runs (1 for always-on; less for scale-to-zero apps). */
  duty: number;
  /** Mean egress bytes per running hour. */
  egressPerHour: number;
}

export interface FleetOptions {
  machines: number;
  orgs: readonly string[];
  seed?: number;
  /** Each organization's share, in the order of `orgs`; by default Zipf-like (1, 1/2, 1/3, ...). */
  orgWeights?: readonly number[];
}

const SIZES: readonly (readonly [string, number])[] = [
  ['shared-cpu-1x', 40],
  ['shared-cpu-2x', 20],
  ['shared-cpu-4x', 10],
  ['shared-cpu-8x', 4],
  ['performance-1x', 10],
  ['performance-2x', 8],
  ['performance-4x', 5],
  ['performance-8x', 2],
  ['performance-16x', 1],
];
const MEMORY: Record<string, number> = { shared: 256, performance: 2048 };
const GPUS = ['a10', 'l40s', 'a100-40gb', 'a100-80gb'] as const;
const APPS = ['web', 'api', 'worker', 'db', 'cron', 'ml'] as const;
// Where customers run: weighted towards North America and Europe, but every continent has some.
const CONTINENT_WEIGHT: Record<string, number> = { NA: 40, EU: 30, AS: 12, SA: 8, OC: 5, AF: 5 };

/**
 * A deterministic fleet spread over every continent: the first machines go one to each
 * continent so even a small fleet covers all six; organizations get a Zipf-like share.
 */
export function simulateFleet({ machines, orgs, seed = 42, orgWeights }: FleetOptions): Machine[] {
  const rnd = seeded(seed);
  const all = regions();
  const byContinent = new Map<string, string[]>();
  for (const r of all) byContinent.set(r.continent, [...(byContinent.get(r.continent) ?? []), r.code]);
  const continents = [...byContinent.keys()].sort();
  const weights = orgs.map((o, i) => [o, orgWeights?.[i] ?? 1 / (i + 1)] as const);
  const out: Machine[] = [];
  for (let i = 0; i < machines; i++) {
    const continent =
      i < continents.length
        ? continents[i]!
        : weighted(
            rnd,
            continents.map((c) => [c, CONTINENT_WEIGHT[c] ?? 1] as const),
          );
    const size = weighted(rnd, SIZES);
    const gpu = size.startsWith('performance') && rnd() < 0.04 ? pick(rnd, GPUS) : null;
    out.push({
      id: `m_${i.toString(36).padStart(5, '0')}`,
      org: weighted(rnd, weights),
      app: pick(rnd, APPS),
      region: pick(rnd, byContinent.get(continent)!),
      size,
      memoryMb: MEMORY[size.split('-')[0]!]! * Number(size.match(/(\d+)x$/)![1]),
      gpu,
      volumeGb: rnd() < 0.3 ? pick(rnd, [1, 3, 10, 40, 100, 500]) : null,
      dedicatedIp: rnd() < 0.1,
      duty: rnd() < 0.7 ? 1 : Math.round((0.1 + rnd() * 0.8) * 100) / 100,
      egressPerHour: Math.floor(rnd() * 2e9),
    });
  }
  return out;
}
