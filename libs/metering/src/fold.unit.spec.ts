import { foldHourly, FoldInput, hourOf } from './fold';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 21, 10, 0, 0); // 2026-11-21T10:00Z

function ev(over: Partial<FoldInput> = {}): FoldInput {
  return { org: 'acme', time: T0 + 15 * 60_000, sku: 'machine.runtime/shared-cpu-1x', app: 'web', region: 'ord', quantity: '60', ...over };
}

const byKey = (a: { org: string; hour: number; sku: string; app: string; region: string }, b: typeof a) =>
  `${a.org}|${a.hour}|${a.sku}|${a.app}|${a.region}`.localeCompare(`${b.org}|${b.hour}|${b.sku}|${b.app}|${b.region}`);

describe('foldHourly', () => {
  it('given no events, then no buckets', () => {
    expect(foldHourly([])).toEqual([]);
  });

  it('given events of one org, hour, sku, app and region, then one bucket with their exact sum and count', () => {
    const buckets = foldHourly([ev({ quantity: '60' }), ev({ quantity: '0.5' }), ev({ quantity: '0.000000001' })]);
    expect(buckets).toEqual([
      { org: 'acme', hour: T0, sku: 'machine.runtime/shared-cpu-1x', app: 'web', region: 'ord', quantity: '60.500000001', events: 3 },
    ]);
  });

  it('given fractions a float would round, then the sum is exact', () => {
    const tenths = Array.from({ length: 10 }, () => ev({ sku: 'volume.storage', quantity: '0.1' }));
    expect(foldHourly(tenths)[0]!.quantity).toBe('1');
  });

  it('given quantities beyond 2^53, then the sum is exact', () => {
    const big = foldHourly([ev({ sku: 'network.egress/na', quantity: '9007199254740991' }), ev({ sku: 'network.egress/na', quantity: '9007199254740991' })]);
    expect(big[0]!.quantity).toBe('18014398509481982');
  });

  it('given events at the edges of an hour, then each falls in the hour that contains it (start inclusive)', () => {
    const buckets = foldHourly([ev({ time: T0 }), ev({ time: T0 + H - 1 }), ev({ time: T0 + H })]).sort(byKey);
    expect(buckets.map((b) => [b.hour, b.events])).toEqual([
      [T0, 2],
      [T0 + H, 1],
    ]);
  });

  it('given events differing in any key, then they land in separate buckets', () => {
    const buckets = foldHourly([
      ev(),
      ev({ org: 'globex' }),
      ev({ sku: 'machine.runtime/performance-1x' }),
      ev({ app: '' }),
      ev({ region: 'fra' }),
      ev({ time: T0 - 1 }),
    ]);
    expect(buckets).toHaveLength(6);
    expect(buckets.every((b) => b.events === 1 && b.quantity === '60')).toBe(true);
  });

  it('given the same events in another order, then the same buckets', () => {
    const events = [ev(), ev({ region: 'fra', quantity: '3' }), ev({ quantity: '7' }), ev({ time: T0 + 2 * H, quantity: '0.25' })];
    expect(foldHourly([...events].reverse()).sort(byKey)).toEqual(foldHourly(events).sort(byKey));
  });

  it('given folds of two halves, then adding their buckets equals the fold of the whole', () => {
    const events = Array.from({ length: 200 }, (_, i) => ev({ time: T0 + (i % 5) * H, region: i % 2 ? 'ord' : 'fra', quantity: String(i) }));
    const whole = foldHourly(events);
    const merged = new Map<string, bigint>();
    for (const b of [...foldHourly(events.slice(0, 77)), ...foldHourly(events.slice(77))]) {
      const k = `${b.hour}|${b.region}`;
      merged.set(k, (merged.get(k) ?? 0n) + BigInt(b.quantity));
    }
    expect(new Map(whole.map((b) => [`${b.hour}|${b.region}`, BigInt(b.quantity)]))).toEqual(merged);
  });

  it('hourOf truncates to the UTC hour, also before 1970', () => {
    expect(hourOf(T0 + 59 * 60_000)).toBe(T0);
    expect(hourOf(-1)).toBe(-H);
  });
});
