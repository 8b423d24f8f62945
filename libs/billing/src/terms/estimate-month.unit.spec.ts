import { asCheckedOrg, parsePeriod } from '@metering/domain';
import { estimateMonth } from './estimate-month';
import { Terms } from './terms';
import type { Commitment, CreditGrant, Rate, TermPriceEntry, UsageSegment } from './types';

const acme = asCheckedOrg('acme');
const december = parsePeriod('2026-12')!;
const hour = (day: number, h: number) => Date.UTC(2026, 11, day, h);
const A10 = 'gpu.runtime/a10';
const MID = hour(16, 12); // 15.5 days of 31: the month is half over

const entry = (rate: Rate): TermPriceEntry => ({
  id: 'p1',
  sku: A10,
  org: acme,
  effectiveFrom: hour(1, 0),
  unit: 'second',
  rate,
});
const graduated: Rate = {
  kind: 'tiered',
  mode: 'graduated',
  tiers: [
    { upTo: '3600', unitPrice: '0' },
    { upTo: null, unitPrice: '0.001' },
  ],
};
const terms = (rate: Rate, commitments: Commitment[] = [], credits: CreditGrant[] = []) =>
  new Terms({ prices: [entry(rate)], commitments, credits });
const use = (h: number, quantity: string): UsageSegment => ({ sku: A10, hour: h, quantity });
const brief = (lines: { kind: string; unit_price: string | null; quantity: string | null; amount: string }[]) =>
  lines.map((l) => [l.kind, l.quantity, l.unit_price, l.amount]);

describe('estimateMonth', () => {
  it('given a graduated free allowance half used at mid-month, then the month so far costs nothing and the forecast fills the allowance and prices the rest', () => {
    const e = estimateMonth(acme, december, [use(hour(2, 0), '2000')], terms(graduated), MID);
    expect(brief(e.lines)).toEqual([['usage', '2000', '0', '0.00']]);
    expect(e.total).toBe('0.00');
    // 4000 s in the month: 3600 free, 400 × 0.001.
    expect(e.forecast).toBe('0.40');
  });

  it('given a monthly minimum above the month so far, then a minimum line makes up the difference, and the forecast is at least the minimum', () => {
    const e = estimateMonth(
      acme,
      december,
      [use(hour(2, 0), '13600')],
      terms(graduated, [{ org: acme, from: december, monthlyMinimum: '50.00' }]),
      MID,
    );
    expect(brief(e.lines)).toEqual([
      ['usage', '3600', '0', '0.00'],
      ['usage', '10000', '0.001', '10.00'],
      ['minimum', null, null, '40.00'],
    ]);
    expect([e.total, e.forecast]).toEqual(['50.00', '50.00']);
  });

  it('given a credit grant larger than the month so far, then a credit line takes the total to 0 and no further', () => {
    const grant: CreditGrant = {
      id: 'g1',
      org: acme,
      amount: '100.00',
      remaining: '15.00',
      grantedAt: hour(1, 0),
      expiresAt: null,
      reason: 'outage',
    };
    const e = estimateMonth(acme, december, [use(hour(2, 0), '13600')], terms(graduated, [], [grant]), MID);
    expect(brief(e.lines)).toEqual([
      ['usage', '3600', '0', '0.00'],
      ['usage', '10000', '0.001', '10.00'],
      ['credit', null, null, '-10.00'],
    ]);
    expect(e.total).toBe('0.00');
    // 27200 s: 23.60 before credits, 15.00 of credit.
    expect(e.forecast).toBe('8.60');
  });

  it('given a flat price, then the forecast is the month so far scaled by the time elapsed', () => {
    const e = estimateMonth(acme, december, [use(hour(2, 0), '1000')], terms({ kind: 'flat', unitPrice: '0.01' }), MID);
    expect([e.total, e.forecast]).toEqual(['10.00', '20.00']);
  });

  it('refuses a time outside the month', () => {
    expect(() => estimateMonth(acme, december, [], terms(graduated), Date.UTC(2027, 0, 1))).toThrow(RangeError);
  });
});
