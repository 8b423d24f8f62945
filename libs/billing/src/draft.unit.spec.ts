import { asOperatorOrg, Dec, OrgId, parsePeriod, Period, periodBounds } from '@metering/domain';
import { BillableUsage, draftInvoice, draftInvoices, OrgBillable } from './invoice';
import type { BilledLine } from './terms/late';
import { Terms } from './terms/terms';
import type { Commitment, CreditGrant, UsageSegment } from './terms/types';

const SEP = parsePeriod('2026-09')!;
const OCT = parsePeriod('2026-10')!;
const ACME = asOperatorOrg('acme');
const CLOSE_TIME = Date.UTC(2026, 10, 1, 0, 0, 5);
const termsOf = (commitments: Commitment[] = [], credits: CreditGrant[] = []) => ({
  terms: new Terms({
    prices: [
      {
        id: 'list:ip',
        sku: 'ip.dedicated',
        org: null,
        effectiveFrom: Date.UTC(2020, 0, 1),
        unit: 'second',
        rate: { kind: 'flat', unitPrice: '0.01' },
      },
    ],
    commitments,
    credits,
  }),
});
const seg = (quantity: string, period: Period = OCT): UsageSegment => ({
  sku: 'ip.dedicated',
  hour: periodBounds(period).from,
  quantity,
});
const billed = (kind: string, period: Period, quantity: string | null, amount?: string): BilledLine => ({
  kind,
  sku: quantity === null ? null : 'ip.dedicated',
  usage_period: period,
  quantity,
  unit: quantity === null ? null : 'second',
  unit_price: quantity === null ? null : '0.01',
  amount: amount ?? Dec.of(quantity!).mul(Dec.of('0.01')).toFixed(2),
});
const grant = (
  id: string,
  remaining: string,
  expiresAt: number | null,
  grantedAt = Date.UTC(2026, 0, 1),
): CreditGrant => ({
  id,
  org: ACME,
  amount: remaining,
  remaining,
  grantedAt,
  expiresAt,
  reason: `grant ${id}`,
});
const brief = (lines: { kind: string; usage_period: string; quantity: string | null; amount: string }[]) =>
  lines.map((l) => [l.kind, l.usage_period, l.quantity, l.amount]);
const draft = (billable: OrgBillable, terms = termsOf()) => draftInvoice(ACME, OCT, billable, terms, CLOSE_TIME);

describe('draftInvoice under the terms', () => {
  it("given usage below the minimum, late usage and a grant, then the lines read usage, minimum, the late month's adjustments, then the credit", () => {
    const terms = termsOf([{ org: ACME, from: SEP, monthlyMinimum: '20' }], [grant('g1', '100', null)]);
    // September billed 1500 s = 15.00 and a minimum of 5.00; it now holds 1800 s = 18.00, so the minimum falls to 2.00.
    const d = draft(
      {
        usage: [seg('1000')],
        late: [
          {
            period: SEP,
            usage: [seg('1800', SEP)],
            billed: [billed('usage', SEP, '1500'), billed('minimum', SEP, null, '5.00')],
          },
        ],
      },
      terms,
    )!;
    expect(brief(d.content.lines)).toEqual([
      ['usage', OCT, '1000', '10.00'],
      ['minimum', OCT, null, '10.00'],
      ['adjustment', SEP, '300', '3.00'],
      ['minimum', SEP, null, '-3.00'],
      ['credit', OCT, null, '-20.00'],
    ]);
    expect(d.content.total).toBe('0.00');
    expect(d.content.lines[4]!.description).toBe('Credit: grant g1');
    expect(d.credits).toEqual([{ grantId: 'g1', amount: '20.00' }]);
  });

  it('given grants, then the soonest to expire is drawn first, one that expired before the period ended is passed over, and one that expires exactly then is used', () => {
    const end = periodBounds(OCT).to;
    const terms = termsOf(
      [],
      [
        grant('never', '50', null),
        grant('expired', '50', end - 1),
        grant('at-end', '3', end),
        grant('later', '4', end + 1),
      ],
    );
    const d = draft({ usage: [seg('1000')], late: [] }, terms)!;
    expect(d.credits).toEqual([
      { grantId: 'at-end', amount: '3.00' },
      { grantId: 'later', amount: '4.00' },
      { grantId: 'never', amount: '3.00' },
    ]);
    expect(d.content.total).toBe('0.00');
  });

  it('given a grant and nothing else to bill, then no invoice and nothing drawn', () => {
    expect(draft({ usage: [], late: [] }, termsOf([], [grant('g1', '10', null)]))).toBeNull();
  });
});

describe('draftInvoices', () => {
  const usage = (entries: Record<string, UsageSegment[]>): BillableUsage =>
    new Map(Object.entries(entries).map(([s, u]): [OrgId, OrgBillable] => [asOperatorOrg(s), { usage: u, late: [] }]));

  it('given a minimum in force for an organization with no usage, then it has an invoice of the minimum, in slug order; a minimum ended by "0" or not yet begun makes none', () => {
    const commitments: Commitment[] = [
      { org: asOperatorOrg('beta'), from: SEP, monthlyMinimum: '12' },
      { org: asOperatorOrg('gone'), from: SEP, monthlyMinimum: '12' },
      { org: asOperatorOrg('gone'), from: OCT, monthlyMinimum: '0' },
      { org: asOperatorOrg('soon'), from: parsePeriod('2026-11')!, monthlyMinimum: '12' },
    ];
    const drafts = draftInvoices(
      OCT,
      usage({ zeta: [seg('100')], acme: [seg('100')] }),
      termsOf(commitments),
      CLOSE_TIME,
    );
    expect(drafts.map((d) => [d.content.org, d.content.total])).toEqual([
      ['acme', '1.00'],
      ['beta', '12.00'],
      ['zeta', '1.00'],
    ]);
    expect(drafts.every((d) => d.content.number === null && d.content.period === OCT)).toBe(true);
  });
});

describe('a negative balance', () => {
  it('given a closed month billed above what its usage prices at now and nothing else to bill, when drafted, then the total is 0 and the balance is carried forward as credit', () => {
    const late: OrgBillable = {
      usage: [],
      late: [{ period: SEP, usage: [seg('10', SEP)], billed: [billed('usage', SEP, '100')] }],
    };
    const d = draftInvoice(ACME, OCT, late, termsOf(), CLOSE_TIME)!;
    expect(d.content.lines.map((l) => [l.kind, l.usage_period, l.quantity, l.amount])).toEqual([
      ['adjustment', SEP, '-90', '-0.90'],
      ['credit', OCT, null, '0.90'],
    ]);
    expect(d.content.total).toBe('0.00');
    expect(d.carriedForward).toBe('0.90');
  });

  it('given charges of the month above the negative adjustment, when drafted, then nothing is carried forward', () => {
    const d = draftInvoice(
      ACME,
      OCT,
      { usage: [seg('200')], late: [{ period: SEP, usage: [seg('10', SEP)], billed: [billed('usage', SEP, '100')] }] },
      termsOf(),
      CLOSE_TIME,
    )!;
    expect([d.content.total, d.carriedForward]).toEqual(['1.10', null]);
  });
});
