import { Dec, sumDec } from './decimal';

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
