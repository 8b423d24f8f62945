import { Dec, formatUsd, sumDec } from './decimal';

describe('Dec', () => {
  it.each([
    ['0.125', '0.12'],
    ['0.135', '0.14'],
    ['0.145', '0.14'],
    ['2.5', '2.50'],
    ['0.005', '0.00'],
    ['0.015', '0.02'],
    ['0.0050000001', '0.01'],
    ['-0.125', '-0.12'],
    ['-0.135', '-0.14'],
    ['-0.001', '0.00'],
    ['1234567890123456789.995', '1234567890123456790.00'],
  ])('rounds %s half-to-even to cents as %s', (x, cents) => {
    expect(Dec.of(x).toFixed(2)).toBe(cents);
  });

  it('multiplies exactly where floats do not', () => {
    // 0.1 GB-month-ish prices times large byte counts
    expect(Dec.of('0.0000000578704').mul(Dec.of('2592000')).toString()).toBe('0.1500000768');
    expect(Dec.of('0.00000000002').mul(Dec.of('9007199254740993')).toString()).toBe('180143.98509481986');
    expect(Dec.of('0.1').add(Dec.of('0.2')).toString()).toBe('0.3');
  });

  it('adds, subtracts and compares across scales', () => {
    expect(sumDec(['1.10', '2.205', '-0.3'].map(Dec.of)).toString()).toBe('3.005');
    expect(Dec.of('5').sub(Dec.of('5.000')).isZero()).toBe(true);
    expect(Dec.of('1.0').cmp(Dec.of('1'))).toBe(0);
    expect(Dec.of('0.09').cmp(Dec.of('0.1'))).toBe(-1);
  });

  it('scales by a ratio of integers, rounding once', () => {
    expect(Dec.of('10.00').scaleBy(30n, 7n, 2).toFixed(2)).toBe('42.86');
    expect(Dec.of('0.01').scaleBy(1n, 2n, 2).toFixed(2)).toBe('0.00');
    expect(Dec.of('0.03').scaleBy(1n, 2n, 2).toFixed(2)).toBe('0.02');
  });

  it('refuses text that is not a plain decimal', () => {
    for (const bad of ['', '1e5', '1.', '.5', 'NaN', '1,5']) expect(() => Dec.of(bad)).toThrow(RangeError);
  });
});

describe('Dec sums', () => {
  it('given 0.1 and 0.2 when added then the sum is exactly 0.3', () => {
    expect(Dec.of('0.1').add(Dec.of('0.2')).toString()).toBe('0.3');
  });

  it('given sums beyond float precision when added then no digit is lost', () => {
    expect(Dec.of('9007199254740991').add(Dec.of('1')).toString()).toBe('9007199254740992');
    expect(Dec.of('1500000000000000000000').add(Dec.of('0.000000001')).toString()).toBe(
      '1500000000000000000000.000000001',
    );
    expect(Dec.of('0.999999999').add(Dec.of('0.000000001')).toString()).toBe('1');
  });

  it('given ten tenths when summed then they make exactly one', () => {
    expect(sumDec(Array.from({ length: 10 }, () => Dec.of('0.1'))).toString()).toBe('1');
  });

  it('given decimals when compared then the order is numeric, not textual', () => {
    expect(Dec.of('2').cmp(Dec.of('10'))).toBe(-1);
    expect(Dec.of('10').cmp(Dec.of('2'))).toBe(1);
    expect(Dec.of('0.3').cmp(Dec.of('0.30'))).toBe(0);
    expect(Dec.of('0.000000001').cmp(Dec.of('0'))).toBe(1);
    expect(Dec.of('-1').cmp(Dec.of('0'))).toBe(-1);
  });
});

describe('formatUsd', () => {
  it.each([
    ['0', '$0.00'],
    ['1234567.891', '$1,234,567.89'],
    ['999.995', '$1,000.00'],
    ['-0.5', '-$0.50'],
    ['90071992547409931.01', '$90,071,992,547,409,931.01'],
  ])('given %s when formatted then it reads %s', (amount, text) => {
    expect(formatUsd(amount)).toBe(text);
  });
});
