import { regions, validateEvent } from '@metering/catalog';
import { fleetEvents, simulateFleet } from './index';

const HOUR = 3_600_000;
const orgs = ['acme', 'globex', 'initech'];

describe('simulated fleet', () => {
  const fleet = simulateFleet({ machines: 1000, orgs });

  it('given a seed, then the same fleet every time', () => {
    expect(simulateFleet({ machines: 1000, orgs })).toEqual(fleet);
  });

  it('covers all six continents and every organization', () => {
    const continentOf = new Map(regions().map((r) => [r.code, r.continent]));
    expect(new Set(fleet.map((m) => continentOf.get(m.region))).size).toBe(6);
    expect(new Set(fleet.map((m) => m.org))).toEqual(new Set(orgs));
  });

  it('given org weights, then shares follow them; without, Zipf-like', () => {
    const count = (f: { org: string }[], o: string) => f.filter((m) => m.org === o).length;
    const even = simulateFleet({ machines: 3000, orgs, orgWeights: [1, 1, 1] });
    for (const o of orgs) expect(count(even, o)).toBeGreaterThan(850);
    expect(count(fleet, 'acme')).toBeGreaterThan(count(fleet, 'initech') * 1.5);
  });

  it('emits only events the collector accepts, with ids unique per source', () => {
    const now = Date.UTC(2026, 10, 21, 12);
    const events = [...fleetEvents(fleet.slice(0, 200), now - 3 * HOUR, now)];
    const known = new Set(orgs);
    const bad = events.map((e) => validateEvent(e, { now, orgExists: (o) => known.has(o) })).filter((v) => !v.ok);
    expect(bad).toEqual([]);
    expect(new Set(events.map((e) => `${e.source} ${e.id}`)).size).toBe(events.length);
  });
});
