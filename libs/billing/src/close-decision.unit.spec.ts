import { asOperatorOrg, Dec, OrgId, parsePeriod, Period, periodBounds } from '@metering/domain';
import { CloseState, decideClose } from './close-decision';
import { BillableUsage, contentHash, LateMonth, OrgBillable } from './invoice';
import type { BilledLine } from './terms/late';
import { Terms } from './terms/terms';
import type { Commitment, CreditGrant, Rate, TermPriceEntry, UsageSegment } from './terms/types';

const OCT = parsePeriod('2026-10')!;
const SEP = parsePeriod('2026-09')!;
const SINCE_2020 = Date.UTC(2020, 0, 1);
const org = (slug: string) => asOperatorOrg(slug);
const flat = (sku: string, unit: string, unitPrice: string): TermPriceEntry => ({
  id: `list:${sku}`,
  sku,
  org: null,
  effectiveFrom: SINCE_2020,
  unit,
  rate: { kind: 'flat', unitPrice },
});
const LIST = [flat('ip.dedicated', 'second', '0.005'), flat('volume.storage', 'gb-second', '0.0000000578704')];
const termsOf = (more: { prices?: TermPriceEntry[]; commitments?: Commitment[]; credits?: CreditGrant[] } = {}) => ({
  terms: new Terms({
    prices: [...LIST, ...(more.prices ?? [])],
    commitments: more.commitments ?? [],
    credits: more.credits ?? [],
  }),
});
/** A month's total as one segment at its first hour. */
const month = (sku: string, quantity: string, period: Period = OCT): UsageSegment => ({
  sku,
  hour: periodBounds(period).from,
  quantity,
});
/** A line an earlier invoice billed, at the list price. */
const billed = (sku: string, period: Period, quantity: string, unitPrice = '0.005'): BilledLine => ({
  kind: 'usage',
  sku,
  usage_period: period,
  quantity,
  unit: 'second',
  unit_price: unitPrice,
  amount: Dec.of(quantity).mul(Dec.of(unitPrice)).toFixed(2),
});
const usage = (entries: Record<string, UsageSegment[] | Partial<OrgBillable>>): BillableUsage =>
  new Map(
    Object.entries(entries).map(([slug, u]): [OrgId, OrgBillable] => [
      org(slug),
      Array.isArray(u) ? { usage: u, late: [] } : { usage: u.usage ?? [], late: u.late ?? [] },
    ]),
  );
const late = (period: Period, now: UsageSegment[], before: BilledLine[]): LateMonth => ({
  period,
  usage: now,
  billed: before,
});
const open = (u: BillableUsage, firstNumber = 1n, terms = termsOf()): CloseState => ({
  status: 'open',
  usage: u,
  terms,
  firstNumber,
});
const command = { period: OCT, issuedAt: '2026-11-01T00:00:05.000Z' };

function closed(state: CloseState, cmd = command) {
  const decision = decideClose(state, cmd);
  if (decision.type !== 'PeriodClosed') throw new Error(`expected PeriodClosed, got ${decision.type}`);
  return decision;
}
const brief = (lines: { kind: string; sku: string | null; quantity: string | null; amount: string }[]) =>
  lines.map((l) => [l.kind, l.sku, l.quantity, l.amount]);

describe('decideClose', () => {
  it('given usage of three organizations, when closed, then one invoice each, numbered gaplessly from the first free number in slug order', () => {
    const d = closed(
      open(
        usage({
          zeta: [month('ip.dedicated', '10')],
          acme: [month('ip.dedicated', '20')],
          'm-co': [month('ip.dedicated', '30')],
        }),
        42n,
      ),
    );
    expect(d.invoices.map((i) => [i.number, i.seq, i.org])).toEqual([
      ['INV-000042', 42n, 'acme'],
      ['INV-000043', 43n, 'm-co'],
      ['INV-000044', 44n, 'zeta'],
    ]);
    expect(d.invoices.every((i) => i.period === OCT && i.issued_at === command.issuedAt && i.currency === 'USD')).toBe(
      true,
    );
  });

  it('given an organization with nothing new to bill, when closed, then it gets no invoice and takes no number', () => {
    const d = closed(
      open(
        usage({
          acme: { late: [late(SEP, [month('ip.dedicated', '10', SEP)], [billed('ip.dedicated', SEP, '10')])] },
          beta: [month('ip.dedicated', '5')],
        }),
        7n,
      ),
    );
    expect(d.invoices.map((i) => [i.number, i.org])).toEqual([['INV-000007', 'beta']]);
  });

  it('given nothing to bill at all, when closed, then the period closes with no invoices, events or credits, and records the terms', () => {
    const terms = termsOf();
    expect(decideClose(open(usage({}), 1n, terms), command)).toEqual({
      type: 'PeriodClosed',
      period: OCT,
      invoices: [],
      events: [],
      credits: [],
      carriedForward: [],
      terms: terms.terms.data,
    });
  });

  it('given each invoice, then one invoice.finalized event that carries it', () => {
    const d = closed(open(usage({ acme: [month('ip.dedicated', '20')], beta: [month('ip.dedicated', '3')] })));
    expect(d.events).toEqual(
      d.invoices.map((i) => ({
        type: 'invoice.finalized',
        number: i.number,
        org: i.org,
        period: OCT,
        invoice: null,
        currency: 'USD',
        issued_at: Date.parse(command.issuedAt),
        total: i.total,
        content_hash: i.content_hash,
        lines: i.lines,
      })),
    );
  });

  it("given a closed period, when closed again, then it answers the first close's invoices and makes nothing", () => {
    const first = closed(open(usage({ acme: [month('ip.dedicated', '20')] })));
    const summaries = first.invoices.map(({ number, org, total, content_hash }) => ({
      number,
      org,
      total,
      content_hash,
    }));
    expect(decideClose({ status: 'closed', invoices: summaries }, command)).toEqual({
      type: 'AlreadyClosed',
      period: OCT,
      invoices: summaries,
    });
  });

  it('given the same content, then the same hash whatever the issue time; given other content, then another hash', () => {
    const u = usage({ acme: [month('ip.dedicated', '20')] });
    const a = closed(open(u)).invoices[0]!;
    const later = closed(open(u), { period: OCT, issuedAt: '2027-01-01T00:00:00.000Z' }).invoices[0]!;
    expect(later.issued_at).not.toBe(a.issued_at);
    expect(later.content_hash).toBe(a.content_hash);
    const { number, org, period, currency, lines, total } = a;
    expect(a.content_hash).toBe(contentHash({ number, org, period, currency, lines, total }));
    expect(closed(open(u, 2n)).invoices[0]!.content_hash).not.toBe(a.content_hash);
    expect(closed(open(usage({ acme: [month('ip.dedicated', '21')] }))).invoices[0]!.content_hash).not.toBe(
      a.content_hash,
    );
  });

  it('given amounts of half a cent, then each line rounds half-to-even and the total is the sum of the rounded lines', () => {
    // 1 × 0.005 = 0.005 -> 0.00; 3 × 0.005 = 0.015 -> 0.02; 259200000 × 0.0000000578704 = 15.00000768 -> 15.00
    const d = closed(
      open(
        usage({
          acme: {
            usage: [month('ip.dedicated', '1'), month('volume.storage', '259200000')],
            late: [late(SEP, [month('ip.dedicated', '3', SEP)], [])],
          },
        }),
      ),
    );
    const invoice = d.invoices[0]!;
    expect(invoice.lines.map((l) => [l.kind, l.sku, l.usage_period, l.amount])).toEqual([
      ['usage', 'ip.dedicated', OCT, '0.00'],
      ['usage', 'volume.storage', OCT, '15.00'],
      ['adjustment', 'ip.dedicated', SEP, '0.02'],
    ]);
    expect(invoice.total).toBe('15.02');
  });

  it('given late usage of an earlier closed period, then an adjustment line for the growth only', () => {
    const d = closed(
      open(
        usage({
          acme: { late: [late(SEP, [month('ip.dedicated', '1200', SEP)], [billed('ip.dedicated', SEP, '1000')])] },
        }),
      ),
    );
    expect(d.invoices[0]!.lines).toEqual([
      expect.objectContaining({ kind: 'adjustment', usage_period: SEP, quantity: '200', amount: '1.00' }),
    ]);
  });
});

describe('decideClose with commercial terms', () => {
  const grant = (id: string, slug: string, remaining: string, grantedAt: string): CreditGrant => ({
    id,
    org: org(slug),
    amount: remaining,
    remaining,
    grantedAt: Date.parse(grantedAt),
    expiresAt: null,
    reason: 'launch promotion',
  });

  it('given a credit grant, when closed, then the invoice has a credit line and the close draws it, with the invoice number', () => {
    // beta: 1000 × 0.005 = 5.00 less 3.00 of credit; acme: 400 × 0.005 = 2.00, and its 10.00 grant covers all of it.
    const terms = termsOf({
      credits: [
        grant('g-beta', 'beta', '3.00', '2026-10-05T00:00:00Z'),
        grant('g-acme', 'acme', '10', '2026-09-01T00:00:00Z'),
      ],
    });
    const d = closed(
      open(usage({ beta: [month('ip.dedicated', '1000')], acme: [month('ip.dedicated', '400')] }), 5n, terms),
    );
    expect(d.invoices.map((i) => [i.number, i.org, brief(i.lines), i.total])).toEqual([
      [
        'INV-000005',
        'acme',
        [
          ['usage', 'ip.dedicated', '400', '2.00'],
          ['credit', null, null, '-2.00'],
        ],
        '0.00',
      ],
      [
        'INV-000006',
        'beta',
        [
          ['usage', 'ip.dedicated', '1000', '5.00'],
          ['credit', null, null, '-3.00'],
        ],
        '2.00',
      ],
    ]);
    expect(d.invoices[1]!.lines[1]).toMatchObject({ usage_period: OCT, unit: null, unit_price: null });
    expect(d.invoices[1]!.lines[1]!.description).toContain('launch promotion');
    expect(d.credits).toEqual([
      { invoice: 'INV-000005', grantId: 'g-acme', amount: '2.00' },
      { invoice: 'INV-000006', grantId: 'g-beta', amount: '3.00' },
    ]);
    expect(d.terms).toBe(terms.terms.data);
  });

  it('given a grant made after the close was issued, when closed, then it is not used', () => {
    const terms = termsOf({ credits: [grant('g-late', 'acme', '10', '2026-11-01T00:00:06.000Z')] });
    const d = closed(open(usage({ acme: [month('ip.dedicated', '400')] }), 1n, terms));
    expect(brief(d.invoices[0]!.lines)).toEqual([['usage', 'ip.dedicated', '400', '2.00']]);
    expect(d.invoices[0]!.total).toBe('2.00');
    expect(d.credits).toEqual([]);
  });

  it('given a commitment above the usage, when closed, then a minimum line makes up the difference', () => {
    const terms = termsOf({ commitments: [{ org: org('acme'), from: SEP, monthlyMinimum: '50' }] });
    const d = closed(open(usage({ acme: [month('ip.dedicated', '2000')] }), 1n, terms));
    expect(brief(d.invoices[0]!.lines)).toEqual([
      ['usage', 'ip.dedicated', '2000', '10.00'],
      ['minimum', null, null, '40.00'],
    ]);
    expect(d.invoices[0]!.total).toBe('50.00');
  });

  it('given an organization with a commitment and no usage, when closed, then it gets an invoice of the minimum alone, numbered in slug order', () => {
    const terms = termsOf({ commitments: [{ org: org('beta'), from: OCT, monthlyMinimum: '25.5' }] });
    const d = closed(
      open(usage({ acme: [month('ip.dedicated', '10')], zeta: [month('ip.dedicated', '10')] }), 3n, terms),
    );
    expect(d.invoices.map((i) => [i.number, i.org])).toEqual([
      ['INV-000003', 'acme'],
      ['INV-000004', 'beta'],
      ['INV-000005', 'zeta'],
    ]);
    expect(brief(d.invoices[1]!.lines)).toEqual([['minimum', null, null, '25.50']]);
    expect(d.invoices[1]!.total).toBe('25.50');
  });

  it('given a graduated contract price with a free first tier, when closed, then one usage line per tier reached', () => {
    const tiers: Rate = {
      kind: 'tiered',
      mode: 'graduated',
      tiers: [
        { upTo: '3600', unitPrice: '0' },
        { upTo: '36000', unitPrice: '0.000694' },
        { upTo: null, unitPrice: '0.0005' },
      ],
    };
    const contract: TermPriceEntry = {
      id: 'acme:a10',
      sku: 'gpu.runtime/a10',
      org: org('acme'),
      effectiveFrom: SINCE_2020,
      unit: 'second',
      rate: tiers,
    };
    const terms = termsOf({ prices: [flat('gpu.runtime/a10', 'second', '0.001'), contract] });
    const d = closed(
      open(usage({ acme: [month('gpu.runtime/a10', '45000')], beta: [month('gpu.runtime/a10', '45000')] }), 1n, terms),
    );
    // 3600 free; 32400 × 0.000694 = 22.4856 -> 22.49; 9000 × 0.0005 = 4.50.
    expect(d.invoices[0]!.lines.map((l) => [l.sku, l.quantity, l.unit_price, l.amount])).toEqual([
      ['gpu.runtime/a10', '3600', '0', '0.00'],
      ['gpu.runtime/a10', '32400', '0.000694', '22.49'],
      ['gpu.runtime/a10', '9000', '0.0005', '4.50'],
    ]);
    expect(d.invoices[0]!.total).toBe('26.99');
    // beta has no contract: the list price.
    expect(brief(d.invoices[1]!.lines)).toEqual([['usage', 'gpu.runtime/a10', '45000', '45.00']]);
  });
});
