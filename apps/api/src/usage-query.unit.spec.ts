import { parseUsageQuery, RawQuery } from './usage-query';

const base = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };

function faultsOf(q: RawQuery): string[] {
  const r = parseUsageQuery(q);
  return r.ok ? [] : r.faults.map((f) => f.path);
}

describe('parseUsageQuery', () => {
  it('given from and to only, then hourly UTC grouped by sku, as JSON', () => {
    const r = parseUsageQuery(base);
    expect(r).toEqual({
      ok: true,
      query: {
        from: { instant: new Date('2026-11-01T00:00:00Z') },
        to: { instant: new Date('2026-11-02T00:00:00Z') },
        format: 'json',
        granularity: 'hour',
        tz: 'UTC',
        groupBy: [],
        filters: { region: [], app: [], sku: [] },
      },
    });
  });

  it('given repeated and comma-separated group_by and filters, then all are kept once, sku implied', () => {
    const r = parseUsageQuery({
      ...base,
      group_by: ['region,sku', 'app', 'region'],
      region: ['ord', 'fra'],
      sku: 'volume.storage',
    });
    expect(r.ok && r.query.groupBy).toEqual(['region', 'app']);
    expect(r.ok && r.query.filters).toEqual({ region: ['ord', 'fra'], app: [], sku: ['volume.storage'] });
  });

  it('given resource among the keys, then it is kept (the per-resource projection answers)', () => {
    const r = parseUsageQuery({ ...base, group_by: 'resource,region' });
    expect(r.ok && r.query.groupBy).toEqual(['resource', 'region']);
  });

  it('given dates without offsets, then they are wall-clock times in tz for the database to resolve', () => {
    const r = parseUsageQuery({ from: '2026-11-01', to: '2026-12-01', tz: 'Europe/Paris', granularity: 'day' });
    expect(r.ok && [r.query.from, r.query.to, r.query.tz]).toEqual([
      { local: '2026-11-01' },
      { local: '2026-12-01' },
      'Europe/Paris',
    ]);
  });

  it.each<[string, RawQuery, string[]]>([
    ['from missing', { to: base.to }, ['from']],
    ['both missing', {}, ['from', 'to']],
    ['from not a time', { ...base, from: 'yesterday' }, ['from']],
    ['from not a real date', { ...base, from: '2026-02-30T00:00:00Z' }, ['from']],
    ['to before from', { from: base.to, to: base.from }, ['to']],
    ['to equal to from', { from: base.from, to: base.from }, ['to']],
    ['more than 400 days', { from: '2025-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, ['to']],
    ['unknown granularity', { ...base, granularity: 'week' }, ['granularity']],
    ['granularity twice', { ...base, granularity: ['day', 'hour'] }, ['granularity']],
    ['unknown zone', { ...base, tz: 'Mars/Olympus' }, ['tz']],
    ['unknown group key', { ...base, group_by: 'planet' }, ['group_by']],
    ['unknown format', { ...base, format: 'xml' }, ['format']],
    ['SQL in a parameter', { ...base, granularity: "hour'; DROP TABLE usage_hourly; --" }, ['granularity']],
  ])('given %s, then a 400 naming the parameter', (_, q, paths) => {
    expect(faultsOf(q)).toEqual(paths);
  });
});
