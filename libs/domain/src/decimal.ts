/**
 * Exact decimals for money: a bigint of units of 10^-scale. Prices carry up to 15 places and
 * quantities 9, so their products need more than any float or fixed scale offers; every
 * operation here is exact and the only rounding is the explicit half-to-even to cents.
 */
export class Dec {
  private constructor(
    readonly units: bigint,
    readonly scale: number,
  ) {}

  static readonly ZERO = new Dec(0n, 0);

  static of(text: string): Dec {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) throw new RangeError(`not a decimal: '${text}'`);
    const fraction = m[3] ?? '';
    const units = BigInt(m[2]! + fraction);
    return new Dec(m[1] === '-' ? -units : units, fraction.length);
  }

  private at(scale: number): bigint {
    return this.units * 10n ** BigInt(scale - this.scale);
  }

  add(o: Dec): Dec {
    const scale = Math.max(this.scale, o.scale);
    return new Dec(this.at(scale) + o.at(scale), scale);
  }

  sub(o: Dec): Dec {
    return this.add(o.neg());
  }

  neg(): Dec {
    return new Dec(-this.units, this.scale);
  }

  mul(o: Dec): Dec {
    return new Dec(this.units * o.units, this.scale + o.scale);
  }

  cmp(o: Dec): -1 | 0 | 1 {
    const scale = Math.max(this.scale, o.scale);
    const a = this.at(scale);
    const b = o.at(scale);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  /** this × num / den, rounded half-to-even to `places` decimals: scaling without a float. */
  scaleBy(num: bigint, den: bigint, places: number): Dec {
    if (den <= 0n) throw new RangeError('scaleBy needs a positive denominator');
    // Two extra digits, then the one explicit rounding.
    const extra = places + 2;
    const scaled = (this.at(Math.max(this.scale, extra)) * num) / den;
    return new Dec(scaled, Math.max(this.scale, extra)).roundHalfEven(places);
  }

  /** Rounded to `places` decimals, ties to the even neighbour (banker's rounding). */
  roundHalfEven(places: number): Dec {
    if (this.scale <= places) return new Dec(this.at(places), places);
    const divisor = 10n ** BigInt(this.scale - places);
    const negative = this.units < 0n;
    const magnitude = negative ? -this.units : this.units;
    let q = magnitude / divisor;
    const r = magnitude % divisor;
    const twice = 2n * r;
    if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
    return new Dec(negative ? -q : q, places);
  }

  /** Plain text with exactly `places` decimals ("12.30"), as money is written. */
  toFixed(places: number): string {
    const d = this.roundHalfEven(places);
    const negative = d.units < 0n;
    const digits = (negative ? -d.units : d.units).toString().padStart(places + 1, '0');
    const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    return negative && d.units !== 0n ? `-${text}` : text;
  }

  /** The shortest exact text: no trailing fractional zeros ("0.5", "60"). */
  toString(): string {
    if (this.scale === 0) return this.units.toString();
    const full = this.toFixed(this.scale);
    const trimmed = full.replace(/0+$/, '').replace(/\.$/, '');
    return trimmed === '-0' ? '0' : trimmed;
  }
}

export const sumDec = (xs: Iterable<Dec>): Dec => {
  let total = Dec.ZERO;
  for (const x of xs) total = total.add(x);
  return total;
};

/** Money as people read it, exactly: "$1,234,567.89", "-$0.50". */
export function formatUsd(amount: Dec | string): string {
  const text = (typeof amount === 'string' ? Dec.of(amount) : amount).toFixed(2);
  const negative = text.startsWith('-');
  const [whole, cents] = (negative ? text.slice(1) : text).split('.');
  return `${negative ? '-' : ''}$${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}
