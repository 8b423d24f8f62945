import { asOperatorOrg, OrgId, parsePeriod } from '@metering/domain';
import { CloseState, decideClose } from './close-decision';
import { BillableUsage, contentHash, PricedUsage, UsageByOrg } from './invoice';
import { PriceBook } from './price-book';

const OCT = parsePeriod('2026-10')!;
const SEP = parsePeriod('2026-09')!;
const terms = {
  priceBook: new PriceBook([
    { sku: 'ip.dedicated', unit: 'second', unitPrice: '0.005', effectiveFrom: Date.UTC(2020, 0, 1) },
    { sku: 'volume.storage', unit: 'gb-second', unitPrice: '0.0000000578704', effectiveFrom: Date.UTC(2020, 0, 1) },
  ]),
};
const org = (slug: string) => asOperatorOrg(slug);
const used = (sku: string, quantity: string, usagePeriod = OCT, unitPrice = '0.005'): PricedUsage => ({
  sku,
  usagePeriod,
  unitPrice,
  quantity,
});
const byOrg = (entries: Record<string, PricedUsage[]>): UsageByOrg =>
  new Map(Object.entries(entries).map(([slug, list]) => [org(slug), list] as [OrgId, PricedUsage[]]));
const usage = (
  projected: Record<string, PricedUsage[]>,
  billed: Record<string, PricedUsage[]> = {},
): BillableUsage => ({ projected: byOrg(projected), billed: byOrg(billed) });
const open = (u: BillableUsage, firstNumber = 1n): CloseState => ({ status: 'open', usage: u, terms, firstNumber });
const command = { period: OCT, issuedAt: '2026-11-01T00:00:05.000Z' };

function closed(state: CloseState, cmd = command) {
  const decision = decideClose(state, cmd);
  if (decision.type !== 'PeriodClosed') throw new Error(`expected PeriodClosed, got ${decision.type}`);
  return decision;
}

describe('decideClose', () => {
  it('given usage of three organizations, when closed, then one invoice each, numbered gaplessly from the first free number in slug order', () => {
    const d = closed(
      open(
        usage({
          zeta: [used('ip.dedicated', '10')],
          acme: [used('ip.dedicated', '20')],
          'm-co': [used('ip.dedicated', '30')],
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
        usage(
          { acme: [used('ip.dedicated', '10', SEP)], beta: [used('ip.dedicated', '5')] },
          { acme: [used('ip.dedicated', '10', SEP)] },
        ),
        7n,
      ),
    );
    expect(d.invoices.map((i) => [i.number, i.org])).toEqual([['INV-000007', 'beta']]);
  });

  it('given nothing to bill at all, when closed, then the period closes with no invoices and no events', () => {
    expect(decideClose(open(usage({})), command)).toEqual({
      type: 'PeriodClosed',
      period: OCT,
      invoices: [],
      events: [],
    });
  });

  it('given each invoice, then one invoice.finalized event that carries it', () => {
    const d = closed(open(usage({ acme: [used('ip.dedicated', '20')], beta: [used('ip.dedicated', '3')] })));
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
    const first = closed(open(usage({ acme: [used('ip.dedicated', '20')] })));
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
    const u = usage({ acme: [used('ip.dedicated', '20')] });
    const a = closed(open(u)).invoices[0]!;
    const later = closed(open(u), { period: OCT, issuedAt: '2027-01-01T00:00:00.000Z' }).invoices[0]!;
    expect(later.issued_at).not.toBe(a.issued_at);
    expect(later.content_hash).toBe(a.content_hash);
    const { number, org, period, currency, lines, total } = a;
    expect(a.content_hash).toBe(contentHash({ number, org, period, currency, lines, total }));
    expect(closed(open(u, 2n)).invoices[0]!.content_hash).not.toBe(a.content_hash);
    expect(closed(open(usage({ acme: [used('ip.dedicated', '21')] }))).invoices[0]!.content_hash).not.toBe(
      a.content_hash,
    );
  });

  it('given amounts of half a cent, then each line rounds half-to-even and the total is the sum of the rounded lines', () => {
    // 1 × 0.005 = 0.005 -> 0.00; 3 × 0.005 = 0.015 -> 0.02; 259200000 × 0.0000000578704 = 15.00000768 -> 15.00
    const d = closed(
      open(
        usage({
          acme: [
            used('ip.dedicated', '1'),
            used('ip.dedicated', '3', SEP),
            used('volume.storage', '259200000', OCT, '0.0000000578704'),
          ],
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
      open(usage({ acme: [used('ip.dedicated', '1200', SEP)] }, { acme: [used('ip.dedicated', '1000', SEP)] })),
    );
    expect(d.invoices[0]!.lines).toEqual([
      expect.objectContaining({ kind: 'adjustment', usage_period: SEP, quantity: '200', amount: '1.00' }),
    ]);
  });
});
