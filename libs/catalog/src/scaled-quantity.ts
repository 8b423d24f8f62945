import { Problem, problem } from './problem';

/** Quantities are summed as bigint at this fixed scale, so no sum ever rounds. */
export const SCALE = 1_000_000_000n;
export const MAX_FRACTION_DIGITS = 9;

const NOT_NON_NEGATIVE = problem('must be a finite number >= 0');
const NOT_INTEGER = problem('must be an integer');
const TOO_LARGE = problem(`too large; at most ${Number.MAX_SAFE_INTEGER}`);
const TOO_PRECISE = problem(`at most ${MAX_FRACTION_DIGITS} decimal places`);
const SCALED_DECIMAL = /^(-?)(\d+)(?:\.(\d{1,9}))?$/;

/** The canonical decimal string of a quantity exactly as the host wrote it. String(n) is the
 *  shortest text that round-trips to n, i.e. the host's own digits; only its exponent forms
 *  (1e-7, 1.5e+21) need rewriting, done on the digits so no float arithmetic can creep in. */
export function canonicalQuantity(n: number, integer: boolean): string | Problem {
  if (!Number.isFinite(n) || n < 0) return NOT_NON_NEGATIVE;
  if (integer) {
    if (!Number.isInteger(n)) return NOT_INTEGER;
    // Above this, distinct counts share one double, so the host's figure is already lost.
    if (n > Number.MAX_SAFE_INTEGER) return TOO_LARGE;
    return String(n);
  }
  const text = String(n);
  const e = text.indexOf('e');
  if (e === -1) {
    const dot = text.indexOf('.');
    return dot !== -1 && text.length - dot - 1 > MAX_FRACTION_DIGITS ? TOO_PRECISE : text;
  }
  return expandExponent(text.slice(0, e), Number(text.slice(e + 1)));
}

function expandExponent(mantissa: string, exponent: number): string | Problem {
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // Where the decimal point lands, counted in digits from the left of `digits`.
  const point = (dot === -1 ? mantissa.length : dot) + exponent;
  if (digits.length - point > MAX_FRACTION_DIGITS) return TOO_PRECISE;
  if (point <= 0) return trimFraction(`0.${'0'.repeat(-point)}${digits}`);
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return trimFraction(`${digits.slice(0, point)}.${digits.slice(point)}`);
}

function trimFraction(text: string): string {
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/** Parses a decimal of at most 9 fractional digits into units of 1e-9. Throws on anything else:
 *  its inputs are quantities the validator already canonicalised. */
export function toScaled(decimal: string): bigint {
  const m = SCALED_DECIMAL.exec(decimal);
  if (m === null) throw new RangeError(`not a decimal with at most ${MAX_FRACTION_DIGITS} places: '${decimal}'`);
  const magnitude = BigInt(m[2]) * SCALE + BigInt((m[3] ?? '').padEnd(MAX_FRACTION_DIGITS, '0'));
  return m[1] === '-' ? -magnitude : magnitude;
}

/** The canonical decimal string of a scaled value. */
export function fromScaled(scaled: bigint): string {
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const whole = (magnitude / SCALE).toString();
  const fraction = magnitude % SCALE;
  const sign = negative ? '-' : '';
  if (fraction === 0n) return sign + whole;
  return trimFraction(`${sign}${whole}.${fraction.toString().padStart(MAX_FRACTION_DIGITS, '0')}`);
}
