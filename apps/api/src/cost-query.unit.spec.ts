import { parseCostQuery } from './cost-query';
import type { RawQuery } from './usage-query';

const base = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };

function faultsOf(q: RawQuery): string[] {
  const r = parseCostQuery(q);
  return r.ok ? [] : r.faults.map((f) => f.path);
}

describe('parseCostQuery', () => {
  it('given from and to only, then hourly UTC with no keys, in time order, unlimited, as JSON', () => {
    expect(parseCostQuery(base)).toEqual({
      ok: true,
      query: {
        from: { instant: new Date(base.from) },
        to: { instant: new Date(base.to) },
        format: 'json',
        granularity: 'hour',
        tz: 'UTC',
        groupBy: [],
        filters: { region: [], app: [], sku: [], resource: [] },
        order: 'time',
        limit: null,
      },
    });
  });

  it('given resource among the keys and filters, top-N by amount over the whole range, then all are kept, sku not implied', () => {
    const r = parseCostQuery({
      ...base,
      granularity: 'total',
      group_by: ['resource,region', 'resource'],
      resource: ['m_1', 'm_2'],
      region: 'ord',
      order: 'amount',
      limit: '20',
    });
    expect(r.ok && r.query).toMatchObject({
      granularity: 'total',
      groupBy: ['resource', 'region'],
      filters: { region: ['ord'], app: [], sku: [], resource: ['m_1', 'm_2'] },
      order: 'amount',
      limit: 20,
    });
  });

  it('given the shared parameters, then they are read as usage reads them (local dates, zone, format)', () => {
    const r = parseCostQuery({
      from: '2026-11-01',
      to: '2026-12-01',
      tz: 'Europe/Paris',
      granularity: 'day',
      format: 'csv',
      group_by: 'sku',
    });
    expect(
      r.ok && [r.query.from, r.query.to, r.query.tz, r.query.granularity, r.query.format, r.query.groupBy],
    ).toEqual([{ local: '2026-11-01' }, { local: '2026-12-01' }, 'Europe/Paris', 'day', 'csv', ['sku']]);
  });

  it.each<[string, RawQuery, string[]]>([
    ['from missing', { to: base.to }, ['from']],
    ['to before from', { from: base.to, to: base.from }, ['to']],
    ['unknown granularity', { ...base, granularity: 'week' }, ['granularity']],
    ['granularity total twice', { ...base, granularity: ['total', 'total'] }, ['granularity']],
    ['unknown group key', { ...base, group_by: 'planet' }, ['group_by']],
    ['unknown order', { ...base, order: 'name' }, ['order']],
    ['limit 0', { ...base, limit: '0' }, ['limit']],
    ['limit over 1000', { ...base, limit: '1001' }, ['limit']],
    ['limit not a number', { ...base, limit: '20; DROP TABLE prices' }, ['limit']],
    ['limit twice', { ...base, limit: ['1', '2'] }, ['limit']],
    [
      'several faults at once',
      { from: 'soon', to: base.to, tz: 'Mars/Olympus', order: 'x', limit: '-1' },
      ['from', 'tz', 'order', 'limit'],
    ],
  ])('given %s, then a 400 naming each bad parameter', (_, q, paths) => {
    expect(faultsOf(q)).toEqual(paths);
  });
});
