import { asCheckedOrg, Dec, parsePeriod } from '@metering/domain';
import { Terms } from '../terms/terms';
import type { TermPriceEntry } from '../terms/types';
import { alertAmount, crossed } from './alert-amount';

const acme = asCheckedOrg('acme');
const december = parsePeriod('2026-12')!;
const A10 = 'gpu.runtime/a10';
const entry: TermPriceEntry = {
  id: 'p1',
  sku: A10,
  org: acme,
  effectiveFrom: Date.UTC(2026, 11, 1),
  unit: 'second',
  rate: { kind: 'flat', unitPrice: '0.001' },
};
const NOW = Date.UTC(2026, 11, 10);
const usage = [{ sku: A10, hour: Date.UTC(2026, 11, 2), quantity: '100000' }]; // $100

describe('alertAmount', () => {
  it('given no narrowing, then it is the usage/current total: the minimum counts, and so do credits', () => {
    const withMinimum = new Terms({
      prices: [entry],
      commitments: [{ org: acme, from: december, monthlyMinimum: '250.00' }],
      credits: [],
    });
    expect(alertAmount(acme, december, { app: null, skuPrefix: null }, usage, withMinimum, NOW).toFixed(2)).toBe(
      '250.00',
    );
    const plain = new Terms({ prices: [entry], commitments: [], credits: [] });
    expect(alertAmount(acme, december, { app: null, skuPrefix: null }, usage, plain, NOW).toFixed(2)).toBe('100.00');
  });

  it('given a narrowing, then it is the usage lines of the narrowed usage only, without the minimum', () => {
    const withMinimum = new Terms({
      prices: [entry],
      commitments: [{ org: acme, from: december, monthlyMinimum: '250.00' }],
      credits: [],
    });
    expect(alertAmount(acme, december, { app: 'ml', skuPrefix: null }, usage, withMinimum, NOW).toFixed(2)).toBe(
      '100.00',
    );
  });

  it('crosses at the threshold exactly, not a cent before', () => {
    expect(crossed(Dec.of('250.00'), Dec.of('250'))).toBe(true);
    expect(crossed(Dec.of('249.999'), Dec.of('250'))).toBe(false);
  });
});
