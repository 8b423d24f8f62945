import { canonicalQuantity, fromScaled, toScaled } from './scaled-quantity';

describe('canonicalQuantity', () => {
  describe('given a fractional unit', () => {
    it.each<[number, string]>([
      [0, '0'],
      [-0, '0'],
      [60, '60'],
      [0.1, '0.1'],
      [0.25, '0.25'],
      [1e-7, '0.0000001'],
      [2.5e-7, '0.00000025'],
      [1e-9, '0.000000001'],
      [0.123456789, '0.123456789'],
      [123.456789012, '123.456789012'],
      [12345678901234, '12345678901234'],
      [1e20, '100000000000000000000'],
      [1e21, '1000000000000000000000'],
      [1.5e21, '1500000000000000000000'],
      [1.2345e25, '12345000000000000000000000'],
    ])('when given %p then it writes %p', (n, expected) => {
      expect(canonicalQuantity(n, false)).toBe(expected);
    });

    it.each<[number]>([[5e-324], [0.1 + 0.2], [1.5e-9], [0.1234567891], [1.2345e-7]])(
      'when %p has more than 9 decimals then it is refused',
      (n) => {
        expect(canonicalQuantity(n, false)).toEqual({ message: 'at most 9 decimal places' });
      },
    );

    it('when the written quantity is read back then it is the same number', () => {
      for (const n of [0.1, 1e-7, 3.14159, 1.5e21, 98765.4321, 1e-9, 7e22]) {
        expect(Number(canonicalQuantity(n, false))).toBe(n);
      }
    });
  });

  describe('given an integer unit', () => {
    it('when given a safe integer then it writes its digits', () => {
      expect(canonicalQuantity(0, true)).toBe('0');
      expect(canonicalQuantity(3600, true)).toBe('3600');
      expect(canonicalQuantity(Number.MAX_SAFE_INTEGER, true)).toBe('9007199254740991');
    });

    it.each<[number]>([[Number.MAX_SAFE_INTEGER + 1], [1e21], [1.5e21]])('when given %p then it is too large', (n) => {
      const result = canonicalQuantity(n, true);
      expect(typeof result === 'object' && result.message.startsWith('too large')).toBe(true);
    });

    it.each<[number]>([[0.5], [1e-7], [60.25]])('when given the fraction %p then it must be an integer', (n) => {
      expect(canonicalQuantity(n, true)).toEqual({ message: 'must be an integer' });
    });
  });

  it.each<[number]>([[-1], [-1e-7], [NaN], [Infinity], [-Infinity]])(
    'given %p when canonicalised then it is refused as not a finite non-negative number',
    (n) => {
      expect(canonicalQuantity(n, false)).toEqual({ message: 'must be a finite number >= 0' });
    },
  );
});

describe('scaled decimals', () => {
  it('given decimal strings when scaled then they are exact units of 1e-9', () => {
    expect(toScaled('0')).toBe(0n);
    expect(toScaled('0.25')).toBe(250_000_000n);
    expect(toScaled('60')).toBe(60_000_000_000n);
    expect(toScaled('0.000000001')).toBe(1n);
    expect(toScaled('-1.5')).toBe(-1_500_000_000n);
    expect(toScaled('1500000000000000000000')).toBe(1_500_000_000_000_000_000_000_000_000_000n);
  });

  it('given scaled values when written then they are canonical', () => {
    expect(fromScaled(0n)).toBe('0');
    expect(fromScaled(250_000_000n)).toBe('0.25');
    expect(fromScaled(1n)).toBe('0.000000001');
    expect(fromScaled(60_000_000_000n)).toBe('60');
    expect(fromScaled(-1_500_000_000n)).toBe('-1.5');
    expect(fromScaled(-1n)).toBe('-0.000000001');
  });

  it.each<[string]>([[''], ['1e5'], ['.5'], ['5.'], ['0.1234567891'], ['+1'], ['1,5'], [' 1']])(
    'given the malformed decimal %p when scaled then it throws',
    (s) => {
      expect(() => toScaled(s)).toThrow(RangeError);
    },
  );
});
