import { ExactSums, splitQuantity } from './quantity';

function sumOf(...quantities: string[]): string {
  const sums = new ExactSums();
  const slot = sums.open();
  for (const q of quantities) {
    const split = splitQuantity(q);
    if (split) sums.add(slot, split[0], split[1]);
    else
      sums.addScaled(
        slot,
        BigInt(q.replace('.', '').padEnd(q.indexOf('.') === -1 ? q.length + 9 : q.indexOf('.') + 9, '0')),
      );
  }
  return sums.format(slot);
}

describe('exact quantities', () => {
  it('splits a decimal into units and billionths; leaves the long ones to bigints', () => {
    expect(splitQuantity('60')).toEqual([60, 0]);
    expect(splitQuantity('0.5')).toEqual([0, 500_000_000]);
    expect(splitQuantity('12.000000001')).toEqual([12, 1]);
    expect(splitQuantity('1234567890123456')).toBeNull(); // 16 integer digits
    expect(splitQuantity('1.0000000001')).toBeNull(); // 10 fractional digits
    expect(splitQuantity('-1')).toBeNull();
  });

  it('given tenths a float would round, then the sum is exact', () => {
    expect(sumOf(...Array.from({ length: 10 }, () => '0.1'))).toBe('1');
    expect(sumOf('0.999999999', '0.000000001')).toBe('1');
  });

  it('given sums past 2^53, then they are still exact (the overflow goes to a bigint)', () => {
    expect(sumOf('9007199254740991', '9007199254740991')).toBe('18014398509481982');
    expect(sumOf(...Array.from({ length: 2000 }, () => '999999999999999.999999999'))).toBe(
      '1999999999999999999.999998',
    );
  });

  it('given quantities that take the bigint path, then they add to the same sums', () => {
    expect(sumOf('12345678901234567890', '0.5')).toBe('12345678901234567890.5');
  });
});
