import { asValidatedOrg } from '@metering/domain';
import { foldColumns, FoldInput, foldUsage, hourOf } from './fold';
import { UsageColumns } from './usage-columns';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 21, 10, 0, 0); // 2026-11-21T10:00Z
let n = 0;

function ev(over: Partial<FoldInput> = {}): FoldInput {
  n++;
  return {
    id: `e${n}`,
    source: 'host/ord-01',
    org: asValidatedOrg('acme'),
    time: T0 + 15 * 60_000,
    sku: 'machine.runtime/shared-cpu-1x',
    app: 'web',
    region: 'ord',
    resource: 'm_1',
    quantity: '60',
    ...over,
  };
}

type Keyed = { org: string; hour: number; sku: string; app: string; region: string; resource?: string };
const key = (b: Keyed) => `${b.org}|${b.hour}|${b.sku}|${b.app}|${b.region}|${b.resource ?? ''}`;
const sorted = <T extends Keyed>(xs: T[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));

describe('the fold: events → hourly and per-resource buckets', () => {
  it('given no events, then no buckets', () => {
    expect(foldUsage([])).toEqual({ hourly: [], resources: [] });
  });

  it('given events of one series and hour, then one bucket at each grain with their exact sum and count', () => {
    const { hourly, resources } = foldUsage([
      ev({ quantity: '60' }),
      ev({ quantity: '0.5' }),
      ev({ quantity: '0.000000001' }),
    ]);
    const bucket = {
      org: 'acme',
      hour: T0,
      sku: 'machine.runtime/shared-cpu-1x',
      app: 'web',
      region: 'ord',
      quantity: '60.500000001',
      events: 3,
    };
    expect(hourly).toEqual([bucket]);
    expect(resources).toEqual([{ ...bucket, resource: 'm_1' }]);
  });

  it('given two resources of one series, then two per-resource buckets and one hourly bucket holding both', () => {
    const { hourly, resources } = foldUsage([
      ev({ resource: 'm_1', quantity: '10' }),
      ev({ resource: 'm_2', quantity: '32' }),
      ev({ resource: 'm_2', quantity: '1' }),
    ]);
    expect(sorted(resources).map((r) => [r.resource, r.quantity, r.events])).toEqual([
      ['m_1', '10', 1],
      ['m_2', '33', 2],
    ]);
    expect(hourly.map((h) => [h.quantity, h.events])).toEqual([['43', 3]]);
  });

  it('given sums a float would round or that pass 2^53, then they are exact', () => {
    const tenths = foldUsage(Array.from({ length: 10 }, () => ev({ sku: 'volume.storage', quantity: '0.1' })));
    expect(tenths.hourly[0]!.quantity).toBe('1');
    const big = foldUsage(
      Array.from({ length: 3 }, () => ev({ sku: 'network.egress/na', quantity: '9007199254740991' })),
    );
    expect(big.hourly[0]!.quantity).toBe('27021597764222973');
    const huge = foldUsage([
      ev({ sku: 'volume.storage', quantity: '123456789012345678901.5' }),
      ev({ sku: 'volume.storage', quantity: '0.5' }),
    ]);
    expect(huge.resources[0]!.quantity).toBe('123456789012345678902');
  });

  it('given events at the edges of an hour, then each falls in the hour that contains it (start inclusive)', () => {
    const { hourly } = foldUsage([ev({ time: T0 }), ev({ time: T0 + H - 1 }), ev({ time: T0 + H })]);
    expect(sorted(hourly).map((b) => [b.hour, b.events])).toEqual([
      [T0, 2],
      [T0 + H, 1],
    ]);
  });

  it('given events differing in any key, then they land in separate buckets', () => {
    const { hourly, resources } = foldUsage([
      ev(),
      ev({ org: asValidatedOrg('globex') }),
      ev({ sku: 'machine.runtime/performance-1x' }),
      ev({ app: '' }),
      ev({ region: 'fra' }),
      ev({ time: T0 - 1 }),
      ev({ resource: 'm_2' }),
    ]);
    expect(resources).toHaveLength(7);
    expect(hourly).toHaveLength(6); // the other resource shares the first hourly bucket
    expect(resources.every((b) => b.events === 1 && b.quantity === '60')).toBe(true);
  });

  it('given the same events in another order, then the same buckets', () => {
    const events = [
      ev(),
      ev({ region: 'fra', quantity: '3' }),
      ev({ quantity: '7' }),
      ev({ time: T0 + 2 * H, quantity: '0.25', resource: 'v_1' }),
    ];
    const a = foldUsage(events);
    const b = foldUsage([...events].reverse());
    expect(sorted(b.hourly)).toEqual(sorted(a.hourly));
    expect(sorted(b.resources)).toEqual(sorted(a.resources));
  });

  it('given folds of two halves, then adding their buckets equals the fold of the whole', () => {
    const events = Array.from({ length: 200 }, (_, i) =>
      ev({ time: T0 + (i % 5) * H, region: i % 2 ? 'ord' : 'fra', resource: `m_${i % 7}`, quantity: String(i) }),
    );
    const whole = foldUsage(events);
    const merged = new Map<string, bigint>();
    for (const b of [...foldUsage(events.slice(0, 77)).resources, ...foldUsage(events.slice(77)).resources]) {
      merged.set(key(b), (merged.get(key(b)) ?? 0n) + BigInt(b.quantity));
    }
    expect(new Map(whole.resources.map((b) => [key(b), BigInt(b.quantity)]))).toEqual(merged);
  });

  it('folds only the events it is given by index (the new ones of a batch)', () => {
    const columns = UsageColumns.of([ev({ quantity: '1' }), ev({ quantity: '10' }), ev({ quantity: '100' })]);
    expect(foldColumns(columns, [0, 2]).hourly.map((h) => [h.quantity, h.events])).toEqual([['101', 2]]);
    expect(foldColumns(columns, [])).toEqual({ hourly: [], resources: [] });
  });

  it('hourOf truncates to the UTC hour, also before 1970', () => {
    expect(hourOf(T0 + 59 * 60_000)).toBe(T0);
    expect(hourOf(-1)).toBe(-H);
  });
});

describe('UsageColumns.firstOfEach: re-sends within one batch', () => {
  it('given the same (source, id) twice in the same hour, then only the first is kept; other hours and ids are their own', () => {
    const a = ev({ id: 'x' });
    const columns = UsageColumns.of([
      a,
      ev({ id: 'y' }),
      { ...a },
      ev({ id: 'x', time: a.time + H }),
      { ...a, source: 'host/b' },
      { ...a },
    ]);
    expect(Array.from(columns.firstOfEach(0, columns.length))).toEqual([0, 1, 3, 4]);
    expect(Array.from(columns.firstOfEach(2, columns.length))).toEqual([2, 3, 4]);
  });

  it('given 50,000 events with every tenth a repeat, then exactly the firsts, in order', () => {
    const events = Array.from({ length: 50_000 }, (_, i) => ev({ id: i % 10 === 9 ? `id-${i - 5}` : `id-${i}` }));
    const firsts = columns50k(events);
    expect(firsts).toHaveLength(45_000);
    expect(firsts.every((i, k) => k === 0 || i > firsts[k - 1]!)).toBe(true);
  });
});

function columns50k(events: FoldInput[]): number[] {
  const columns = UsageColumns.of(events);
  return Array.from(columns.firstOfEach(0, columns.length));
}
