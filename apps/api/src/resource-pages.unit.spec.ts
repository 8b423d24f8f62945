import { Dec } from '@metering/domain';
import {
  decodeCursor,
  encodeCursor,
  matcherOf,
  page,
  queryFingerprint,
  ResourceSkuRow,
  summarize,
} from './resource-pages';

const row = (resource: string, sku: string, amount: string, region = 'ord', app = 'web'): ResourceSkuRow => ({
  resource,
  region,
  app,
  sku,
  quantity: '10',
  amount,
});

describe('resource summaries and pages', () => {
  it('given rows per SKU and place when summarized then one summary per resource, costliest SKU and place first', () => {
    const [a] = summarize(
      [
        row('m_a', 'machine.runtime/shared-cpu-1x', '1.5', 'ord'),
        row('m_a', 'network.egress/na', '2.25', 'ord'),
        row('m_a', 'machine.runtime/shared-cpu-1x', '0.5', 'fra', 'api'),
      ],
      'cost',
    );
    expect(a!.cost.toString()).toBe('4.25');
    expect(a!.skus.map((s) => [s.sku, s.cost.toString(), s.quantity.toString()])).toEqual([
      ['network.egress/na', '2.25', '10'],
      ['machine.runtime/shared-cpu-1x', '2', '20'],
    ]);
    expect([a!.region, a!.app]).toEqual(['ord', 'web']);
  });

  it('given equal costs when sorted by cost then ties go by id, and by id ascending for sort=resource', () => {
    const rows = [row('m_c', 's', '1'), row('m_a', 's', '1'), row('m_b', 's', '2')];
    expect(summarize(rows, 'cost').map((s) => s.resource)).toEqual(['m_b', 'm_a', 'm_c']);
    expect(summarize(rows, 'resource').map((s) => s.resource)).toEqual(['m_a', 'm_b', 'm_c']);
  });

  it('given a cursor when resources are added before and after it then the next page neither skips nor repeats', () => {
    const ids = (xs: string[]) =>
      summarize(
        xs.map((r) => row(r, 's', '1')),
        'resource',
      );
    const first = page(ids(['m_1', 'm_3', 'm_5', 'm_7']), {
      sort: 'resource',
      matches: matcherOf('', 'prefix'),
      limit: 2,
      after: null,
    });
    expect(first.resources.map((s) => s.resource)).toEqual(['m_1', 'm_3']);
    const later = ids(['m_0', 'm_1', 'm_3', 'm_4', 'm_5', 'm_7', 'm_8']);
    const second = page(later, { sort: 'resource', matches: matcherOf('', 'prefix'), limit: 10, after: first.next });
    expect(second.resources.map((s) => s.resource)).toEqual(['m_4', 'm_5', 'm_7', 'm_8']);
    expect(second.next).toBeNull();
  });

  it('given a cost cursor when a shown resource grows then it is not shown again', () => {
    const at = (costs: Record<string, string>) =>
      summarize(
        Object.entries(costs).map(([r, c]) => row(r, 's', c)),
        'cost',
      );
    const first = page(at({ m_a: '5', m_b: '4', m_c: '3', m_d: '3' }), {
      sort: 'cost',
      matches: matcherOf('', 'prefix'),
      limit: 2,
      after: null,
    });
    const second = page(at({ m_a: '5', m_b: '9', m_c: '3', m_d: '3' }), {
      sort: 'cost',
      matches: matcherOf('', 'prefix'),
      limit: 2,
      after: first.next,
    });
    expect(second.resources.map((s) => s.resource)).toEqual(['m_c', 'm_d']);
  });

  it('given q and named ids when paged then only matching ids, by prefix or anywhere in the id, among those named', () => {
    const all = summarize(
      ['m_ab1', 'm_xab', 'm_ab2', 'v_ab'].map((r) => row(r, 's', '1')),
      'resource',
    );
    const names = (match: 'prefix' | 'contains') =>
      page(all, {
        sort: 'resource',
        matches: matcherOf(match === 'prefix' ? 'm_ab' : 'ab', match),
        limit: 10,
        after: null,
      }).resources.map((s) => s.resource);
    expect(names('prefix')).toEqual(['m_ab1', 'm_ab2']);
    expect(names('contains')).toEqual(['m_ab1', 'm_ab2', 'm_xab', 'v_ab']);
    const named = page(all, {
      sort: 'resource',
      matches: matcherOf('ab', 'contains', ['m_xab', 'm_zz']),
      limit: 10,
      after: null,
    });
    expect(named.resources.map((s) => s.resource)).toEqual(['m_xab']);
  });

  it('given a cursor when decoded for its own query then its position, for another query or tampered a fault at cursor', () => {
    const fp = queryFingerprint(['acme', 'q=m_']);
    const c = encodeCursor(fp, { sort: 'cost', cost: Dec.of('1.25'), resource: 'm_a' });
    const ok = decodeCursor(c, fp, 'cost');
    expect(ok.ok && ok.position).toEqual({ sort: 'cost', cost: Dec.of('1.25'), resource: 'm_a' });
    for (const [cursor, f, sort] of [
      [c, queryFingerprint(['acme', 'q=m_1']), 'cost'],
      [c, fp, 'resource'],
      ['%%%', fp, 'cost'],
      [Buffer.from('{"a":1}').toString('base64url'), fp, 'cost'],
      [Buffer.from(JSON.stringify([fp, 'c', 'NaN', 'm_a'])).toString('base64url'), fp, 'cost'],
    ] as const) {
      const bad = decodeCursor(cursor, f, sort);
      expect(bad.ok ? null : bad.fault.path).toBe('cursor');
    }
  });
});
