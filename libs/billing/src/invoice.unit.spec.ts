import {
  canonicalJson,
  contentHash,
  draftInvoice,
  invoiceContent,
  InvoiceLine,
  negatedLines,
  totalOf,
} from './invoice';
import { MissingPriceError } from './price-book';
import { documentNumber, parseDocumentNumber } from './numbers';
import type { BilledLine } from './terms/late';
import { Terms } from './terms/terms';
import type { TermPriceEntry, UsageSegment } from './terms/types';
import { asOperatorOrg, Dec, parsePeriod, Period, periodBounds } from '@metering/domain';

const OCT = parsePeriod('2026-10')!;
const NOV = parsePeriod('2026-11')!;
const ACME = asOperatorOrg('acme');
const CLOSE_TIME = Date.UTC(2026, 11, 1);
const unitOf = (sku: string) =>
  sku.startsWith('network') ? 'byte' : sku === 'volume.storage' ? 'gb-second' : 'second';
const price = (sku: string, unitPrice: string, effectiveFrom = Date.UTC(2020, 0, 1)): TermPriceEntry => ({
  id: `${sku}@${effectiveFrom}`,
  sku,
  org: null,
  effectiveFrom,
  unit: unitOf(sku),
  rate: { kind: 'flat', unitPrice },
});
const termsOf = (...prices: TermPriceEntry[]) => ({ terms: new Terms({ prices, commitments: [], credits: [] }) });
/** `quantity` of `sku` at `hour` (default: the month's first hour, carrying the month's total). */
const seg = (sku: string, quantity: string, period: Period, hour = periodBounds(period).from): UsageSegment => ({
  sku,
  hour,
  quantity,
});
const billed = (sku: string, period: Period, unitPrice: string, quantity: string): BilledLine => ({
  kind: 'usage',
  sku,
  usage_period: period,
  quantity,
  unit: unitOf(sku),
  unit_price: unitPrice,
  amount: Dec.of(quantity).mul(Dec.of(unitPrice)).toFixed(2),
});
/** The lines of acme's invoice for `period`: the period's usage, then its late months. */
const linesOf = (
  period: Period,
  usage: UsageSegment[],
  late: { period: Period; usage: UsageSegment[]; billed: BilledLine[] }[],
  terms: ReturnType<typeof termsOf>,
): InvoiceLine[] => draftInvoice(ACME, period, { usage, late }, terms, CLOSE_TIME)?.content.lines ?? [];

describe('draftInvoice', () => {
  it('given usage of the period and nothing late, then one usage line per sku and price, amounts rounded half-to-even', () => {
    const terms = termsOf(
      price('machine.runtime/shared-cpu-1x', '0.00000075'),
      price('volume.storage', '0.0000000578704'),
    );
    const lines = linesOf(
      OCT,
      [seg('volume.storage', '259200000', OCT), seg('machine.runtime/shared-cpu-1x', '2678400', OCT)],
      [],
      terms,
    );
    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'usage',
        sku: 'machine.runtime/shared-cpu-1x',
        usage_period: '2026-10',
        quantity: '2678400',
        unit: 'second',
        unit_price: '0.00000075',
        amount: '2.01',
      }),
      expect.objectContaining({
        kind: 'usage',
        sku: 'volume.storage',
        quantity: '259200000',
        unit: 'gb-second',
        amount: '15.00',
      }),
    ]);
    // 2678400 * 0.00000075 = 2.0088 -> 2.01 ; 259200000 * 0.0000000578704 = 15.00000768 -> 15.00
  });

  it('given an exact half cent, then it rounds to the even cent', () => {
    const terms = termsOf(price('ip.dedicated', '0.005'));
    expect(linesOf(OCT, [seg('ip.dedicated', '1', OCT)], [], terms)[0]!.amount).toBe('0.00');
    expect(linesOf(OCT, [seg('ip.dedicated', '3', OCT)], [], terms)[0]!.amount).toBe('0.02');
  });

  it('given a price that changes mid-month, then one line per price', () => {
    const terms = termsOf(
      price('gpu.runtime/a10', '0.000417'),
      price('gpu.runtime/a10', '0.0005', Date.UTC(2026, 9, 15, 12)),
    );
    const lines = linesOf(
      OCT,
      [seg('gpu.runtime/a10', '3600', OCT), seg('gpu.runtime/a10', '7200', OCT, Date.UTC(2026, 9, 20))],
      [],
      terms,
    );
    expect(lines.map((l) => [l.unit_price, l.quantity, l.amount])).toEqual([
      ['0.000417', '3600', '1.50'],
      ['0.0005', '7200', '3.60'],
    ]);
  });

  it('given an earlier period that grew since it was billed, then an adjustment line for the difference only', () => {
    const terms = termsOf(price('ip.dedicated', '0.000000771605'));
    const lines = linesOf(
      NOV,
      [seg('ip.dedicated', '3600', NOV)],
      [
        {
          period: OCT,
          usage: [seg('ip.dedicated', '2595600', OCT)],
          billed: [billed('ip.dedicated', OCT, '0.000000771605', '2592000')],
        },
      ],
      terms,
    );
    expect(lines.map((l) => [l.kind, l.usage_period, l.quantity])).toEqual([
      ['usage', '2026-11', '3600'],
      ['adjustment', '2026-10', '3600'],
    ]);
    expect(lines[1]!.description).toContain('after that period was invoiced');
  });

  it('given a late month already billed in full, then no lines and no invoice', () => {
    const terms = termsOf(price('ip.dedicated', '0.1'));
    const late = [
      { period: OCT, usage: [seg('ip.dedicated', '10', OCT)], billed: [billed('ip.dedicated', OCT, '0.1', '10')] },
    ];
    expect(linesOf(NOV, [], late, terms)).toEqual([]);
    expect(draftInvoice(ACME, NOV, { usage: [], late }, terms, CLOSE_TIME)).toBeNull();
  });

  it('given a late month that now holds less than was billed, then a negative adjustment corrects it', () => {
    // The new pricing makes a correction a line of its own (the old one dropped it).
    const terms = termsOf(price('ip.dedicated', '0.1'));
    const late = [
      { period: OCT, usage: [seg('ip.dedicated', '10', OCT)], billed: [billed('ip.dedicated', OCT, '0.1', '12')] },
    ];
    expect(
      linesOf(NOV, [seg('ip.dedicated', '5', NOV)], late, terms).map((l) => [l.kind, l.quantity, l.amount]),
    ).toEqual([
      ['usage', '5', '0.50'],
      ['adjustment', '-2', '-0.20'],
    ]);
  });

  it('treats prices written differently as the same price', () => {
    const terms = termsOf(price('ip.dedicated', '0.10'));
    const late = [
      { period: OCT, usage: [seg('ip.dedicated', '10', OCT)], billed: [billed('ip.dedicated', OCT, '0.1', '4')] },
    ];
    expect(linesOf(NOV, [], late, terms).map((l) => [l.quantity, l.unit_price])).toEqual([['6', '0.1']]);
  });

  it('total is the sum of the rounded line amounts, not the rounded sum of products', () => {
    const skus = ['a', 'b', 'c'].map((r) => `machine.runtime/${r}`);
    const terms = termsOf(...skus.map((s) => price(s, '0.005')));
    const draft = draftInvoice(ACME, OCT, { usage: skus.map((s) => seg(s, '1', OCT)), late: [] }, terms, CLOSE_TIME)!;
    expect(draft.content.lines.map((l) => l.amount)).toEqual(['0.00', '0.00', '0.00']);
    expect(draft.content.total).toBe('0.00');
    expect(totalOf(draft.content.lines)).toBe('0.00');
  });

  it('given usage at an hour with no price in force, then it refuses rather than bill at zero', () => {
    const terms = termsOf(price('x', '1', Date.UTC(2026, 9, 2)));
    expect(() => linesOf(OCT, [seg('x', '1', OCT)], [], terms)).toThrow(MissingPriceError);
  });
});

describe('content hash', () => {
  const lines = linesOf(OCT, [seg('ip.dedicated', '10', OCT)], [], termsOf(price('ip.dedicated', '0.1')));

  it('is the same for the same content whatever the key order, and changes with any field', () => {
    const a = invoiceContent('INV-000001', ACME, OCT, lines);
    const reordered = JSON.parse(
      JSON.stringify({
        total: a.total,
        lines: a.lines,
        currency: a.currency,
        period: a.period,
        org: a.org,
        number: a.number,
      }),
    );
    expect(contentHash(reordered)).toBe(contentHash(a));
    expect(contentHash({ ...a, org: 'acme2' })).not.toBe(contentHash(a));
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }] })).toBe('{"a":[{"c":null,"d":"x"}],"b":1}');
  });

  it('negated lines cancel the invoice to zero', () => {
    expect(totalOf([...lines, ...negatedLines(lines)])).toBe('0.00');
    expect(negatedLines(lines)[0]!.quantity).toBe('-10');
  });

  it('negated money lines keep a null quantity and cancel too', () => {
    const money: InvoiceLine[] = [
      ...lines,
      {
        kind: 'minimum',
        sku: null,
        usage_period: OCT,
        quantity: null,
        unit: null,
        unit_price: null,
        amount: '9.00',
        description: 'Monthly minimum, 2026-10',
      },
      {
        kind: 'credit',
        sku: null,
        usage_period: OCT,
        quantity: null,
        unit: null,
        unit_price: null,
        amount: '-4.00',
        description: 'Credit: promotion',
      },
    ];
    const negated = negatedLines(money);
    expect(negated.slice(1).map((l) => [l.kind, l.quantity, l.unit_price, l.amount])).toEqual([
      ['minimum', null, null, '-9.00'],
      ['credit', null, null, '4.00'],
    ]);
    expect(totalOf([...money, ...negated])).toBe('0.00');
  });
});

describe('document numbers', () => {
  it('share one sequence and parse back', () => {
    expect(documentNumber('invoice', 1)).toBe('INV-000001');
    expect(documentNumber('credit-note', 1234567n)).toBe('CN-1234567');
    expect(parseDocumentNumber('CN-000002')).toEqual({ kind: 'credit-note', seq: 2n });
    expect(parseDocumentNumber('INV-12')).toBeNull();
  });
});
