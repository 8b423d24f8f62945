import { asCheckedOrg, type Period } from '@metering/domain';
import { applicablePrices } from './applicable';
import { decideCommitment, decidePriceRemoval, decidePriceSet } from './decide-change';
import { Terms } from './terms';
import type { TermPriceEntry } from './types';

const acme = asCheckedOrg('acme');
const globex = asCheckedOrg('globex');
const at = (y: number, m: number, d = 1) => Date.UTC(y, m - 1, d);
const entry = (
  id: string,
  org: typeof acme | null,
  effectiveFrom: number,
  unitPrice: string,
  sku = 'gpu.runtime/a10',
) => ({ id, sku, org, effectiveFrom, unit: 'second', rate: { kind: 'flat', unitPrice } }) satisfies TermPriceEntry;
const list2020 = entry('1', null, at(2020, 1), '0.000417');

describe('decidePriceSet', () => {
  const fresh = {
    sku: 'gpu.runtime/a10',
    org: null,
    effectiveFrom: at(2026, 12),
    unit: 'second',
    rate: { kind: 'flat', unitPrice: '0.0005' },
  } as const;

  it('given no closed month and an earlier list entry, then the entry is set and replaces that one', () => {
    expect(decidePriceSet(fresh, { lastClosed: null, sameKey: [list2020] })).toEqual({
      kind: 'price-set',
      entry: fresh,
      replaces: list2020,
    });
  });

  it('given a later entry only, then it replaces nothing (it holds until that one)', () => {
    const later = entry('2', null, at(2027, 3), '0.0006');
    expect(decidePriceSet(fresh, { lastClosed: null, sameKey: [later] })).toMatchObject({ replaces: null });
  });

  it('given November closed, then an entry inside or before it is refused, and December 1st is fine', () => {
    const lastClosed = '2026-11' as Period;
    for (const t of [at(2026, 11, 30), at(2026, 1)])
      expect(decidePriceSet({ ...fresh, effectiveFrom: t }, { lastClosed, sameKey: [] })).toMatchObject({
        kind: 'refused',
        reason: 'closed-month',
      });
    expect(decidePriceSet(fresh, { lastClosed, sameKey: [] }).kind).toBe('price-set');
  });

  it('given an entry of the same (sku, org, hour), then a duplicate; of another org, not', () => {
    expect(
      decidePriceSet(fresh, { lastClosed: null, sameKey: [{ ...list2020, effectiveFrom: at(2026, 12) }] }),
    ).toMatchObject({
      reason: 'duplicate',
    });
    expect(decidePriceSet(fresh, { lastClosed: null, sameKey: [entry('3', acme, at(2026, 12), '0.1')] }).kind).toBe(
      'price-set',
    );
  });
});

describe('decidePriceRemoval', () => {
  it('given an entry not yet in force, then removed; in force, refused; none, unknown', () => {
    const now = at(2026, 12, 3);
    const scheduled = entry('5', null, at(2027, 1), '0.1');
    expect(decidePriceRemoval(scheduled, now)).toEqual({ kind: 'price-removed', entry: scheduled });
    expect(decidePriceRemoval(list2020, now)).toMatchObject({ kind: 'refused', reason: 'in-force' });
    expect(decidePriceRemoval(undefined, now)).toEqual({ kind: 'unknown' });
  });
});

describe('decideCommitment', () => {
  const made = [
    { id: '1', org: acme, from: '2026-10' as Period, monthlyMinimum: '100.00' },
    { id: '2', org: acme, from: '2027-02' as Period, monthlyMinimum: '300.00' },
    { id: '3', org: acme, from: '2026-10' as Period, monthlyMinimum: '200.00' },
  ];
  it('given commitments made, then it replaces the last made of the latest from not after its own', () => {
    const c = { org: acme, from: '2026-12' as Period, monthlyMinimum: '500.00' };
    expect(decideCommitment(c, { lastClosed: '2026-11' as Period, existing: made })).toEqual({
      kind: 'commitment-set',
      commitment: c,
      replaces: made[2],
    });
  });
  it('given a closed month, then a commitment from it is refused', () => {
    const c = { org: acme, from: '2026-11' as Period, monthlyMinimum: '500.00' };
    expect(decideCommitment(c, { lastClosed: '2026-11' as Period, existing: made })).toMatchObject({
      reason: 'closed-month',
    });
  });
});

describe('applicablePrices', () => {
  const now = at(2026, 12, 3);
  const terms = new Terms({
    prices: [
      list2020,
      entry('2', null, at(2027, 1), '0.0005'), // hidden for acme by its contract
      entry('3', acme, at(2026, 11), '0.0003'),
      entry('4', null, at(2020, 1), '0.000347', 'gpu.runtime/l40s'),
      entry('5', acme, at(2027, 2), '0.0002', 'gpu.runtime/l40s'), // a contract that starts later
      entry('6', globex, at(2026, 1), '0.0001', 'ip.dedicated'), // another organization's only
    ],
    commitments: [],
    credits: [],
  });
  it("given contract and list entries, then per SKU what is in force now and what follows, never another org's", () => {
    expect(applicablePrices(terms, acme, now).map((a) => [a.entry.id, a.source])).toEqual([
      ['3', 'contract'],
      ['4', 'list'],
      ['5', 'contract'],
    ]);
    expect(applicablePrices(terms, asCheckedOrg('initech'), now).map((a) => [a.entry.id, a.source])).toEqual([
      ['1', 'list'],
      ['2', 'list'],
      ['4', 'list'],
    ]);
  });
});
