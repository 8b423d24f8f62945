import { PriceBook } from './price-book';
import {
  canonicalJson,
  contentHash,
  draftInvoice,
  invoiceContent,
  invoiceLines,
  negatedLines,
  PricedUsage,
  totalOf,
} from './invoice';
import { MissingPriceError } from './price-book';
import { documentNumber, parseDocumentNumber } from './numbers';
import { asOperatorOrg, parsePeriod, periodBounds } from '@metering/domain';

const unitOf = (sku: string) =>
  sku.startsWith('network') ? 'byte' : sku === 'volume.storage' ? 'gb-second' : 'second';
const u = (sku: string, usagePeriod: string, unitPrice: string, quantity: string): PricedUsage => ({
  sku,
  usagePeriod: parsePeriod(usagePeriod)!,
  unitPrice,
  quantity,
});
const OCT = parsePeriod('2026-10')!;
const NOV = parsePeriod('2026-11')!;
const ACME = asOperatorOrg('acme');

describe('invoiceLines', () => {
  it('given usage of the period and nothing billed, then one usage line per sku and price, amounts rounded half-to-even', () => {
    const lines = invoiceLines(
      OCT,
      [
        u('machine.runtime/shared-cpu-1x', '2026-10', '0.00000075', '2678400'),
        u('volume.storage', '2026-10', '0.0000000578704', '259200000'),
      ],
      [],
      unitOf,
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
    expect(invoiceLines(OCT, [u('ip.dedicated', '2026-10', '0.005', '1')], [], unitOf)[0]!.amount).toBe('0.00');
    expect(invoiceLines(OCT, [u('ip.dedicated', '2026-10', '0.005', '3')], [], unitOf)[0]!.amount).toBe('0.02');
  });

  it('given a price that changes mid-month, then one line per price', () => {
    const lines = invoiceLines(
      OCT,
      [u('gpu.runtime/a10', '2026-10', '0.000417', '3600'), u('gpu.runtime/a10', '2026-10', '0.0005', '7200')],
      [],
      unitOf,
    );
    expect(lines.map((l) => [l.unit_price, l.quantity, l.amount])).toEqual([
      ['0.000417', '3600', '1.50'],
      ['0.0005', '7200', '3.60'],
    ]);
  });

  it('given an earlier period that grew since it was billed, then an adjustment line for the difference only', () => {
    const lines = invoiceLines(
      NOV,
      [
        u('ip.dedicated', '2026-11', '0.000000771605', '3600'),
        u('ip.dedicated', '2026-10', '0.000000771605', '2595600'),
      ],
      [u('ip.dedicated', '2026-10', '0.000000771605', '2592000')],
      unitOf,
    );
    expect(lines.map((l) => [l.kind, l.usage_period, l.quantity])).toEqual([
      ['usage', '2026-11', '3600'],
      ['adjustment', '2026-10', '3600'],
    ]);
    expect(lines[1]!.description).toContain('after that period was invoiced');
  });

  it('given everything already billed, then no lines; given a projection below what was billed, then no negative line', () => {
    const p = [u('ip.dedicated', '2026-10', '0.1', '10')];
    expect(invoiceLines(NOV, p, [u('ip.dedicated', '2026-10', '0.1', '10')], unitOf)).toEqual([]);
    expect(invoiceLines(NOV, p, [u('ip.dedicated', '2026-10', '0.1', '12')], unitOf)).toEqual([]);
    expect(draftInvoice(ACME, NOV, p, [u('ip.dedicated', '2026-10', '0.1', '10')], unitOf)).toBeNull();
  });

  it('treats prices written differently as the same price', () => {
    const lines = invoiceLines(
      OCT,
      [u('ip.dedicated', '2026-10', '0.10', '10')],
      [u('ip.dedicated', '2026-10', '0.1', '4')],
      unitOf,
    );
    expect(lines.map((l) => l.quantity)).toEqual(['6']);
  });

  it('total is the sum of the rounded line amounts, not the rounded sum of products', () => {
    const lines = invoiceLines(
      OCT,
      ['a', 'b', 'c'].map((r) => u(`machine.runtime/${r}`, '2026-10', '0.005', '1')),
      [],
      unitOf,
    );
    expect(lines.map((l) => l.amount)).toEqual(['0.00', '0.00', '0.00']);
    expect(totalOf(lines)).toBe('0.00');
  });
});

describe('content hash', () => {
  const lines = invoiceLines(OCT, [u('ip.dedicated', '2026-10', '0.1', '10')], [], unitOf);

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
});

describe('price book', () => {
  const oct = periodBounds(OCT);
  const book = new PriceBook([
    { sku: 'gpu.runtime/a10', unit: 'second', unitPrice: '0.000417', effectiveFrom: Date.UTC(2020, 0, 1) },
    { sku: 'gpu.runtime/a10', unit: 'second', unitPrice: '0.0005', effectiveFrom: Date.UTC(2026, 9, 15, 12) },
  ]);

  it('given a change mid-month, then two spans split at the hour it takes effect', () => {
    expect(book.spans('gpu.runtime/a10', oct.from, oct.to)).toEqual([
      { from: oct.from, to: Date.UTC(2026, 9, 15, 12), unitPrice: '0.000417' },
      { from: Date.UTC(2026, 9, 15, 12), to: oct.to, unitPrice: '0.0005' },
    ]);
  });

  it('given no price in force, then it refuses rather than bill at zero', () => {
    expect(() => book.spans('gpu.runtime/l40s', oct.from, oct.to)).toThrow(MissingPriceError);
    const late = new PriceBook([{ sku: 'x', unit: 'second', unitPrice: '1', effectiveFrom: Date.UTC(2026, 9, 2) }]);
    expect(() => late.spans('x', oct.from, oct.to)).toThrow(MissingPriceError);
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
