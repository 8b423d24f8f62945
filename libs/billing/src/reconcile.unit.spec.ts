import { asOperatorOrg, parsePeriod } from '@metering/domain';
import { reconcileMonth } from './reconcile';
import { Terms } from './terms/terms';
import type { BilledLine } from './terms/late';

const acme = asOperatorOrg('acme');
const OCT = parsePeriod('2026-10')!;
const START = Date.UTC(2026, 9, 1);
const terms = new Terms({
  prices: [
    {
      id: '1',
      sku: 'gpu.runtime/a10',
      org: null,
      unit: 'second',
      effectiveFrom: Date.UTC(2020, 0, 1),
      rate: {
        kind: 'tiered',
        mode: 'graduated',
        tiers: [
          { upTo: '3600', unitPrice: '0' },
          { upTo: null, unitPrice: '0.001' },
        ],
      },
    },
  ],
  commitments: [{ org: acme, from: OCT, monthlyMinimum: '20.00' }],
  credits: [],
});
const line = (sku: string | null, unit_price: string | null, quantity: string | null, amount: string, kind = 'usage') =>
  ({ kind, sku, usage_period: OCT, quantity, unit: sku ? 'second' : null, unit_price, amount }) as BilledLine;

describe('reconcileMonth', () => {
  it('given a month billed exactly as its usage prices now, including the minimum and a credit, then no difference', () => {
    const billed = [
      line('gpu.runtime/a10', '0', '3600', '0.00'),
      line('gpu.runtime/a10', '0.001', '6400', '6.40'),
      line(null, null, null, '13.60', 'minimum'),
      line(null, null, null, '-5.00', 'credit'),
    ];
    expect(
      reconcileMonth(acme, OCT, [{ sku: 'gpu.runtime/a10', hour: START, quantity: '10000' }], terms, billed),
    ).toEqual([]);
  });

  it('given late usage that crosses into the paid tier, then the SKU and the minimum differ in quantity and amount', () => {
    const billed = [line('gpu.runtime/a10', '0', '3000', '0.00'), line(null, null, null, '20.00', 'minimum')];
    expect(
      reconcileMonth(acme, OCT, [{ sku: 'gpu.runtime/a10', hour: START, quantity: '13600' }], terms, billed),
    ).toEqual([
      {
        org: acme,
        usage_period: OCT,
        sku: 'gpu.runtime/a10',
        projected: '13600',
        billed: '3000',
        projected_amount: '10.00',
        billed_amount: '0.00',
      },
      {
        org: acme,
        usage_period: OCT,
        sku: null,
        projected: '0',
        billed: '0',
        projected_amount: '10.00',
        billed_amount: '20.00',
      },
    ]);
  });
});
