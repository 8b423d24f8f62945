import { asCheckedOrg, Dec, OrgId, parsePeriod, sumDec } from '@metering/domain';
import { estimateSpans, EstimateSpan, monthsOf, tieredSkus } from './effective-prices';
import { priceUsage } from './pricing';
import { Terms } from './terms';
import type { Rate, TermPriceEntry, UsageSegment } from './types';

const acme = asCheckedOrg('acme');
const globex = asCheckedOrg('globex');
const H = 3_600_000;
const hour = (day: number, h: number) => Date.UTC(2026, 11, day, h); // an hour of 2026-12
const DEC_START = hour(1, 0);
const JAN_START = Date.UTC(2027, 0, 1);
const A10 = 'gpu.runtime/a10';
const EGRESS = 'network.egress/eu';

let ids = 0;
const entry = (sku: string, from: number, rate: Rate, org: OrgId | null = null): TermPriceEntry => ({
  id: `p${++ids}`,
  sku,
  org,
  effectiveFrom: from,
  unit: 'second',
  rate,
});
const flat = (unitPrice: string): Rate => ({ kind: 'flat', unitPrice });
const graduated: Rate = {
  kind: 'tiered',
  mode: 'graduated',
  tiers: [
    { upTo: '3600', unitPrice: '0' },
    { upTo: '36000', unitPrice: '0.000694' },
    { upTo: null, unitPrice: '0.0005' },
  ],
};
const volume: Rate = {
  kind: 'tiered',
  mode: 'volume',
  tiers: [
    { upTo: '1000', unitPrice: '0.01' },
    { upTo: '5000', unitPrice: '0.008' },
    { upTo: null, unitPrice: '0.005' },
  ],
};
const terms = (...prices: TermPriceEntry[]) => new Terms({ prices, commitments: [], credits: [] });
const use = (sku: string, h: number, quantity: string): UsageSegment => ({ sku, hour: h, quantity });
const brief = (spans: EstimateSpan[]) => spans.map((s) => [s.sku, s.from, s.to, s.unitPrice]);

/** Σ quantity × the price of the span holding its hour: what the cost SQL adds up. */
function estimate(spans: EstimateSpan[], usage: UsageSegment[]): Dec {
  return sumDec(
    usage.map((u) => {
      const s = spans.find((x) => x.sku === u.sku && x.from <= u.hour && u.hour < x.to);
      if (!s) throw new Error(`no span for ${u.sku} at ${new Date(u.hour).toISOString()}`);
      return Dec.of(u.quantity).mul(Dec.of(s.unitPrice));
    }),
  );
}

/** What the month's invoice would charge, before its per-line rounding. */
function invoiced(t: Terms, usage: UsageSegment[]): Dec {
  return sumDec(
    priceUsage(acme, parsePeriod('2026-12')!, usage, t).map((l) => Dec.of(l.quantity).mul(Dec.of(l.unit_price))),
  );
}

describe('estimateSpans: flat entries', () => {
  it("given a list price, acme's contract price from the 10th and globex's contract price, when acme's December is estimated, then acme's hours are priced at the list price until the 10th and at its own contract price after, never at globex's", () => {
    const t = terms(
      entry(EGRESS, DEC_START, flat('0.00000002')),
      entry(EGRESS, hour(10, 0), flat('0.00000001'), acme),
      entry(EGRESS, hour(5, 0), flat('0.00000009'), globex),
    );
    expect(brief(estimateSpans(acme, t, [EGRESS], DEC_START, JAN_START, []))).toEqual([
      [EGRESS, DEC_START, hour(10, 0), '0.00000002'],
      [EGRESS, hour(10, 0), JAN_START, '0.00000001'],
    ]);
    // globex: its own entry from the 5th; acme's is no boundary that changes its price, so the spans merge.
    expect(brief(estimateSpans(globex, t, [EGRESS], DEC_START, JAN_START, []))).toEqual([
      [EGRESS, DEC_START, hour(5, 0), '0.00000002'],
      [EGRESS, hour(5, 0), JAN_START, '0.00000009'],
    ]);
  });

  it('given a SKU with no entry in force before its first one, when estimated, then the hours before it have no span (the SQL prices them at 0 as before)', () => {
    const t = terms(entry(EGRESS, hour(3, 0), flat('0.1')));
    expect(brief(estimateSpans(acme, t, [EGRESS, 'volume.storage'], DEC_START, hour(4, 0), []))).toEqual([
      [EGRESS, hour(3, 0), hour(4, 0), '0.1'],
    ]);
  });
});

describe('estimateSpans: graduated tiers', () => {
  // The worked example of pricing.unit.spec: 2000 s, 3000 s, then 40000 s in three hours.
  const usage = [use(A10, hour(1, 0), '2000'), use(A10, hour(2, 5), '3000'), use(A10, hour(3, 9), '40000')];
  const t = terms(entry(A10, DEC_START, graduated));

  it('given the worked example, when the month is estimated, then the free hour is at 0, the hours that cross a tier at their blended price, and Σ quantity × price is what the invoice charges, exactly here', () => {
    const spans = estimateSpans(acme, t, [A10], DEC_START, JAN_START, usage);
    // 2000 free; 3000 = 1600 free + 1400 × 0.000694 = 0.9716; 40000 = 31000 × 0.000694 + 9000 × 0.0005 = 26.014.
    expect(brief(spans)).toEqual([
      [A10, DEC_START, hour(2, 5), '0'],
      [A10, hour(2, 5), hour(3, 9), '0.000323866666666666666667'],
      [A10, hour(3, 9), JAN_START, '0.00065035'],
    ]);
    const exact = invoiced(t, usage); // 26.9856
    expect(exact.toString()).toBe('26.9856');
    expect(estimate(spans, usage).sub(exact).roundHalfEven(18).isZero()).toBe(true);
  });

  it("given a range that starts mid-month, when estimated, then the running total still counts from the month's first hour", () => {
    const spans = estimateSpans(acme, t, [A10], hour(3, 0), hour(4, 0), usage);
    expect(brief(spans)).toEqual([[A10, hour(3, 0), hour(4, 0), '0.00065035']]);
  });

  it('given an hour priced entirely in one tier, when estimated, then its price is the tier price, exact', () => {
    const more = [...usage, use(A10, hour(20, 0), '7')];
    const spans = estimateSpans(acme, t, [A10], hour(20, 0), hour(21, 0), more);
    expect(brief(spans)).toEqual([[A10, hour(20, 0), hour(21, 0), '0.0005']]);
  });

  it('given the list price flat until the 15th and acme on graduated contract tiers from then, when estimated, then the flat hours count towards the running total and the sum is what the invoice charges', () => {
    const mixed = terms(entry(A10, DEC_START, flat('0.001')), entry(A10, hour(15, 0), graduated, acme));
    const hours = [use(A10, hour(2, 0), '3000'), use(A10, hour(15, 0), '1000'), use(A10, hour(16, 3), '500')];
    const spans = estimateSpans(acme, mixed, [A10], DEC_START, JAN_START, hours);
    // Units 3001..4000 on the 15th: 600 free, 400 × 0.000694; then 500 × 0.000694.
    expect(brief(spans)).toEqual([
      [A10, DEC_START, hour(15, 0), '0.001'],
      [A10, hour(15, 0), hour(16, 3), '0.0002776'],
      [A10, hour(16, 3), JAN_START, '0.000694'],
    ]);
    expect(estimate(spans, hours).cmp(invoiced(mixed, hours))).toBe(0);
    // globex has no contract: the list's flat price all month.
    expect(brief(estimateSpans(globex, mixed, [A10], DEC_START, JAN_START, hours))).toEqual([
      [A10, DEC_START, JAN_START, '0.001'],
    ]);
  });

  it('given many hours of random usage, when estimated, then Σ quantity × price is the invoice amount to within 10^-18', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 20; run++) {
      const hours: UsageSegment[] = [];
      for (let h = 0; h < 200; h++)
        if (rnd() < 0.6) hours.push(use(A10, DEC_START + h * H, String(Math.floor(rnd() * 700)) + '.' + (run % 10)));
      const spans = estimateSpans(acme, t, [A10], DEC_START, JAN_START, hours);
      const diff = estimate(spans, hours).sub(invoiced(t, hours));
      expect(diff.roundHalfEven(18).isZero()).toBe(true);
    }
  });
});

describe('estimateSpans: volume tiers', () => {
  const t = terms(entry(A10, DEC_START, volume));

  it("given volume tiers, when the month so far reaches the second tier, then every hour of the month, also of a range before it got there, is priced at that tier's price", () => {
    const usage = [use(A10, hour(1, 0), '800'), use(A10, hour(9, 0), '400')];
    expect(brief(estimateSpans(acme, t, [A10], DEC_START, hour(2, 0), usage))).toEqual([
      [A10, DEC_START, hour(2, 0), '0.008'],
    ]);
    expect(estimate(estimateSpans(acme, t, [A10], DEC_START, JAN_START, usage), usage).toString()).toBe('9.6');
  });

  it('given a month without usage, when estimated, then its stretch is priced at the first tier (only usage folded since could meet it)', () => {
    expect(brief(estimateSpans(acme, t, [A10], DEC_START, hour(2, 0), []))).toEqual([
      [A10, DEC_START, hour(2, 0), '0.01'],
    ]);
  });
});

describe('tieredSkus and monthsOf', () => {
  it('names the SKUs a tiered entry prices for the org in the months touched, and those months', () => {
    const t = terms(
      entry(EGRESS, DEC_START, flat('0.01')),
      entry(A10, DEC_START, flat('0.001')),
      entry(A10, hour(20, 0), graduated, acme),
    );
    expect(tieredSkus(acme, t, [EGRESS, A10], hour(2, 0), hour(3, 0))).toEqual([A10]);
    expect(tieredSkus(globex, t, [EGRESS, A10], hour(2, 0), hour(3, 0))).toEqual([]);
    expect(monthsOf(hour(2, 0), JAN_START)).toEqual({ start: DEC_START, end: JAN_START });
    expect(monthsOf(hour(2, 0), JAN_START + H)).toEqual({ start: DEC_START, end: Date.UTC(2027, 1, 1) });
  });
});
