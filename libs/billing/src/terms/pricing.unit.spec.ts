import { asCheckedOrg, OrgId, parsePeriod, type Period } from '@metering/domain';
import { MissingPriceError } from '../price-book';
import { applyCredits } from './credits';
import { repriceLateMonth } from './late';
import { linesTotal, priceMonth, priceUsage } from './pricing';
import { Terms } from './terms';
import type { InvoiceLine } from '../invoice';
import type { BilledLine } from './late';
import type { Commitment, CreditGrant, ItemLine, Rate, TermPriceEntry, UsageSegment } from './types';

const month = (text: string): Period => parsePeriod(text)!;

const acme = asCheckedOrg('acme');
const globex = asCheckedOrg('globex');
const at = (iso: string) => Date.parse(iso);
const hour = (day: number, h: number) => Date.UTC(2026, 11, day, h); // an hour of 2026-12

let ids = 0;
const entry = (
  sku: string,
  unit: string,
  effectiveFrom: string,
  rate: Rate,
  org: OrgId | null = null,
): TermPriceEntry => ({ id: `p${++ids}`, sku, org, effectiveFrom: at(effectiveFrom), unit, rate });
const flat = (unitPrice: string): Rate => ({ kind: 'flat', unitPrice });
const use = (sku: string, h: number, quantity: string): UsageSegment => ({ sku, hour: h, quantity });
const terms = (prices: TermPriceEntry[], commitments: Commitment[] = [], credits: CreditGrant[] = []) =>
  new Terms({ prices, commitments, credits });
const brief = (
  lines: { kind: string; sku: string | null; quantity: string | null; unit_price: string | null; amount: string }[],
) => lines.map((l) => [l.kind, l.sku, l.quantity, l.unit_price, l.amount]);

// The examples of the README's "Commercial terms".
const A10_TIERS: Rate = {
  kind: 'tiered',
  mode: 'graduated',
  tiers: [
    { upTo: '3600', unitPrice: '0' },
    { upTo: '36000', unitPrice: '0.000694' },
    { upTo: null, unitPrice: '0.0005' },
  ],
};

describe('graduated tiers', () => {
  it('worked example: given a10 tiers of the first 3600 s free, up to 36000 s at 0.000694, beyond at 0.0005, when acme runs 2000 s, 3000 s, then 40000 s in three hours of 2026-12, then the hours fill the tiers in order and the middle hour is split: 3600 s at 0 = 0.00, 32400 s at 0.000694 = 22.49, 9000 s at 0.0005 = 4.50, total 26.99', () => {
    // Running total: (0, 2000] free; (2000, 5000] = 1600 free + 1400 tier 2; (5000, 45000] = 31000 tier 2 + 9000 tier 3.
    const t = terms([entry('gpu.runtime/a10', 'second', '2026-12-01T00:00:00Z', A10_TIERS)]);
    const lines = priceMonth(
      acme,
      month('2026-12'),
      [
        use('gpu.runtime/a10', hour(1, 0), '2000'),
        use('gpu.runtime/a10', hour(2, 5), '3000'),
        use('gpu.runtime/a10', hour(3, 9), '40000'),
      ],
      t,
    );
    expect(brief(lines)).toEqual([
      ['usage', 'gpu.runtime/a10', '3600', '0', '0.00'],
      ['usage', 'gpu.runtime/a10', '32400', '0.000694', '22.49'], // 22.4856
      ['usage', 'gpu.runtime/a10', '9000', '0.0005', '4.50'],
    ]);
    expect(linesTotal(lines).toFixed(2)).toBe('26.99');
    expect(lines[0]).toEqual(
      expect.objectContaining({
        usage_period: month('2026-12'),
        unit: 'second',
        description: 'GPU runtime (a10), 2026-12',
      }),
    );
  });

  it("given a price change mid-month, when the month goes on, then the running total carries over into the new entry's tiers", () => {
    const t = terms([
      entry('gpu.runtime/a10', 'second', '2026-12-01T00:00:00Z', A10_TIERS),
      entry('gpu.runtime/a10', 'second', '2026-12-15T00:00:00Z', {
        kind: 'tiered',
        mode: 'graduated',
        tiers: [
          { upTo: '3600', unitPrice: '0' },
          { upTo: null, unitPrice: '0.001' },
        ],
      }),
    ]);
    // 3000 s before the change, 1000 s after: units 3001..3600 are still free, 3601..4000 at the new 0.001.
    const lines = priceUsage(
      acme,
      month('2026-12'),
      [use('gpu.runtime/a10', hour(20, 0), '1000'), use('gpu.runtime/a10', hour(2, 0), '3000')],
      t,
    );
    expect(brief(lines)).toEqual([
      ['usage', 'gpu.runtime/a10', '3600', '0', '0.00'],
      ['usage', 'gpu.runtime/a10', '400', '0.001', '0.40'],
    ]);
  });
});

describe('volume tiers', () => {
  it('worked example: given egress volume tiers of 0.00000000002 per byte up to 1 TB and 0.00000000001 beyond, when acme sends 600 GB and then 700 GB in 2026-12, then all 1.3 TB are priced at the tier the month reaches: 1300000000000 B at 0.00000000001 = 13.00', () => {
    const t = terms([
      entry('network.egress/na', 'byte', '2026-12-01T00:00:00Z', {
        kind: 'tiered',
        mode: 'volume',
        tiers: [
          { upTo: '1000000000000', unitPrice: '0.00000000002' },
          { upTo: null, unitPrice: '0.00000000001' },
        ],
      }),
    ]);
    const lines = priceMonth(
      acme,
      month('2026-12'),
      [use('network.egress/na', hour(1, 0), '600000000000'), use('network.egress/na', hour(9, 0), '700000000000')],
      t,
    );
    expect(brief(lines)).toEqual([['usage', 'network.egress/na', '1300000000000', '0.00000000001', '13.00']]);
  });

  it("given a month that ends exactly on a tier's up_to, then it is priced in that tier (up_to is inclusive)", () => {
    const t = terms([
      entry('ip.dedicated', 'second', '2026-12-01T00:00:00Z', {
        kind: 'tiered',
        mode: 'volume',
        tiers: [
          { upTo: '100', unitPrice: '0.01' },
          { upTo: null, unitPrice: '0.001' },
        ],
      }),
    ]);
    expect(brief(priceUsage(acme, month('2026-12'), [use('ip.dedicated', hour(1, 0), '100')], t))).toEqual([
      ['usage', 'ip.dedicated', '100', '0.01', '1.00'],
    ]);
    expect(brief(priceUsage(acme, month('2026-12'), [use('ip.dedicated', hour(1, 0), '100.5')], t))).toEqual([
      ['usage', 'ip.dedicated', '100.5', '0.001', '0.10'],
    ]);
  });
});

describe('contract and list prices', () => {
  const t = terms([
    entry('gpu.runtime/a10', 'second', '2020-01-01T00:00:00Z', flat('0.000417')),
    entry('gpu.runtime/a10', 'second', '2026-12-10T00:00:00Z', flat('0.0003'), acme),
  ]);

  it('given a contract price from the 10th, then acme pays the list price before it and the contract price from it; globex the list price throughout', () => {
    const usage = [use('gpu.runtime/a10', hour(9, 23), '3600'), use('gpu.runtime/a10', hour(10, 0), '3600')];
    expect(brief(priceUsage(acme, month('2026-12'), usage, t))).toEqual([
      ['usage', 'gpu.runtime/a10', '3600', '0.000417', '1.50'],
      ['usage', 'gpu.runtime/a10', '3600', '0.0003', '1.08'],
    ]);
    expect(brief(priceUsage(globex, month('2026-12'), usage, t))).toEqual([
      ['usage', 'gpu.runtime/a10', '7200', '0.000417', '3.00'],
    ]);
    expect(t.entryAt(acme, 'gpu.runtime/a10', hour(10, 0))?.org).toBe('acme');
    expect(t.boundaries(acme, 'gpu.runtime/a10', hour(1, 0), hour(31, 23))).toEqual([hour(10, 0)]);
  });

  it('given usage of a SKU with no entry in force at its hour, then MissingPriceError', () => {
    expect(() => priceUsage(acme, month('2026-12'), [use('ip.dedicated', hour(1, 0), '1')], t)).toThrow(
      MissingPriceError,
    );
  });

  it('given usage outside the period, then it is refused rather than billed in the wrong month', () => {
    expect(() =>
      priceUsage(acme, month('2026-12'), [use('gpu.runtime/a10', at('2027-01-01T00:00:00Z'), '1')], t),
    ).toThrow(RangeError);
  });
});

describe('monthly minimum', () => {
  const prices = [entry('gpu.runtime/a10', 'second', '2026-12-01T00:00:00Z', A10_TIERS)];
  const usage = [
    use('gpu.runtime/a10', hour(1, 0), '2000'),
    use('gpu.runtime/a10', hour(2, 5), '3000'),
    use('gpu.runtime/a10', hour(3, 9), '40000'),
  ];

  it('worked example: given acme committed to 1000.00 a month from 2026-12, when its usage lines of 2026-12 add up to 26.99, then the invoice gets a minimum line of 973.01 and totals 1000.00', () => {
    const lines = priceMonth(
      acme,
      month('2026-12'),
      usage,
      terms(prices, [{ org: acme, from: month('2026-12'), monthlyMinimum: '1000.00' }]),
    );
    expect(lines.at(-1)).toEqual({
      kind: 'minimum',
      sku: null,
      usage_period: month('2026-12'),
      quantity: null,
      unit: null,
      unit_price: null,
      amount: '973.01',
      description: 'Monthly minimum, 2026-12',
    });
    expect(linesTotal(lines).toFixed(2)).toBe('1000.00');
  });

  it('given usage above the minimum, a commitment ended by "0", or one that starts later, then no minimum line', () => {
    const noMinimum = (commitments: Commitment[]) =>
      priceMonth(acme, month('2026-12'), usage, terms(prices, commitments)).filter((l) => l.kind === 'minimum');
    expect(noMinimum([{ org: acme, from: month('2026-01'), monthlyMinimum: '20.00' }])).toEqual([]);
    expect(
      noMinimum([
        { org: acme, from: month('2026-01'), monthlyMinimum: '1000.00' },
        { org: acme, from: month('2026-12'), monthlyMinimum: '0' },
      ]),
    ).toEqual([]);
    expect(noMinimum([{ org: acme, from: month('2027-01'), monthlyMinimum: '1000.00' }])).toEqual([]);
    expect(noMinimum([{ org: globex, from: month('2026-01'), monthlyMinimum: '1000.00' }])).toEqual([]);
  });
});

describe('credits', () => {
  const grant = (id: string, remaining: string, grantedAt: string, expiresAt: string | null): CreditGrant => ({
    id,
    org: acme,
    amount: remaining,
    remaining,
    grantedAt: at(grantedAt),
    expiresAt: expiresAt === null ? null : at(expiresAt),
    reason: id,
  });
  const closeTime = at('2027-01-01T00:05:00Z');

  it('worked example: given a total of 1000.00 for 2026-12 and grants of 500.00 expiring 2027-06-30, 800.00 without expiry, 300.00 expired on 2026-12-15 and 200.00 granted after the close, then 500.00 comes from the first, 500.00 from the second, and the total is 0.00', () => {
    const grants = [
      grant('no-expiry', '800.00', '2026-10-01T00:00:00Z', null),
      grant('expired', '300.00', '2026-09-01T00:00:00Z', '2026-12-15T00:00:00Z'),
      grant('june', '500.00', '2026-11-14T00:00:00Z', '2027-06-30T00:00:00Z'),
      grant('too-late', '200.00', '2027-01-01T00:06:00Z', null),
    ];
    const { lines, used, total } = applyCredits('1000.00', grants, month('2026-12'), closeTime);
    expect(used).toEqual([
      { grantId: 'june', amount: '500.00' },
      { grantId: 'no-expiry', amount: '500.00' },
    ]);
    expect(lines.map((l) => [l.kind, l.usage_period, l.amount, l.sku, l.quantity, l.unit, l.unit_price])).toEqual([
      ['credit', month('2026-12'), '-500.00', null, null, null, null],
      ['credit', month('2026-12'), '-500.00', null, null, null, null],
    ]);
    expect(total).toBe('0.00');
  });

  it('given two grants expiring together, then the older goes first; a grant expiring exactly at the end of the period still covers it', () => {
    const grants = [
      grant('newer', '10.00', '2026-11-02T00:00:00Z', '2027-01-01T00:00:00Z'),
      grant('older', '10.00', '2026-11-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    ];
    expect(applyCredits('15.00', grants, month('2026-12'), closeTime).used).toEqual([
      { grantId: 'older', amount: '10.00' },
      { grantId: 'newer', amount: '5.00' },
    ]);
  });

  it('given nothing to offset (a zero or negative total) or nothing remaining, then no credit line', () => {
    expect(
      applyCredits('0.00', [grant('g', '10.00', '2026-11-01T00:00:00Z', null)], month('2026-12'), closeTime).lines,
    ).toEqual([]);
    expect(
      applyCredits('-3.00', [grant('g', '10.00', '2026-11-01T00:00:00Z', null)], month('2026-12'), closeTime),
    ).toEqual({ lines: [], used: [], total: '-3.00' });
    expect(
      applyCredits('5.00', [grant('g', '0.00', '2026-11-01T00:00:00Z', null)], month('2026-12'), closeTime).total,
    ).toBe('5.00');
  });
});

describe('late usage', () => {
  it('worked example: given 2026-12 billed with volume egress of 600 GB at the first tier (12.00), when 700 GB more arrive after the close, then the month is priced again at the second tier (13.00): an adjustment of -600 GB, -12.00 at the old price and +1300 GB, +13.00 at the new', () => {
    const t = terms([
      entry('network.egress/na', 'byte', '2026-12-01T00:00:00Z', {
        kind: 'tiered',
        mode: 'volume',
        tiers: [
          { upTo: '1000000000000', unitPrice: '0.00000000002' },
          { upTo: null, unitPrice: '0.00000000001' },
        ],
      }),
    ]);
    const first = [use('network.egress/na', hour(1, 0), '600000000000')];
    const billed = priceMonth(acme, month('2026-12'), first, t);
    expect(brief(billed)).toEqual([['usage', 'network.egress/na', '600000000000', '0.00000000002', '12.00']]);
    const adjustments = repriceLateMonth(
      acme,
      month('2026-12'),
      [...first, use('network.egress/na', hour(31, 23), '700000000000')],
      t,
      billed,
    );
    expect(brief(adjustments)).toEqual([
      ['adjustment', 'network.egress/na', '1300000000000', '0.00000000001', '13.00'],
      ['adjustment', 'network.egress/na', '-600000000000', '0.00000000002', '-12.00'],
    ]);
  });

  it('given a month billed at its minimum, when late usage raises the usage lines, then the minimum line is adjusted down by as much', () => {
    const t = terms(
      [entry('ip.dedicated', 'second', '2026-12-01T00:00:00Z', flat('0.01'))],
      [{ org: acme, from: month('2026-12'), monthlyMinimum: '100.00' }],
    );
    const billed = priceMonth(acme, month('2026-12'), [use('ip.dedicated', hour(1, 0), '1000')], t);
    expect(brief(billed)).toEqual([
      ['usage', 'ip.dedicated', '1000', '0.01', '10.00'],
      ['minimum', null, null, null, '90.00'],
    ]);
    const adjustments = repriceLateMonth(
      acme,
      month('2026-12'),
      [use('ip.dedicated', hour(1, 0), '1000'), use('ip.dedicated', hour(2, 0), '500')],
      t,
      billed,
    );
    expect(brief(adjustments)).toEqual([
      ['adjustment', 'ip.dedicated', '500', '0.01', '5.00'],
      ['minimum', null, null, null, '-5.00'],
    ]);
  });

  it('given nothing new, then no lines', () => {
    const t = terms([entry('ip.dedicated', 'second', '2026-12-01T00:00:00Z', flat('0.01'))]);
    const usage = [use('ip.dedicated', hour(1, 0), '1000')];
    expect(repriceLateMonth(acme, month('2026-12'), usage, t, priceMonth(acme, month('2026-12'), usage, t))).toEqual(
      [],
    );
  });
});

describe('line shapes', () => {
  it('a usage or adjustment line is the existing InvoiceLine, and invoice lines can be passed back as billed lines', () => {
    const item: ItemLine = {
      kind: 'usage',
      sku: 'ip.dedicated',
      usage_period: month('2026-12'),
      quantity: '1',
      unit: 'second',
      unit_price: '1',
      amount: '1.00',
      description: 'd',
    };
    const asInvoiceLine: InvoiceLine = item; // compiles only while the shapes agree
    const billed: BilledLine[] = [asInvoiceLine];
    expect(billed).toHaveLength(1);
  });
});
