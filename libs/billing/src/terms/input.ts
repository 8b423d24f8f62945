import { isProblem, parseRfc3339 } from '@metering/catalog';

/** One fault of an operator's input: its JSON path (`tiers[1].up_to`, '' for the body) and why. */
export interface InputFault {
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; faults: InputFault[] };

const MAX_INTEGER_DIGITS = 18;

/** Whether `value` is a non-negative decimal string (no sign, no exponent, no leading zeros) with at most `places` decimals. */
export function decimalFault(value: unknown, places: number | null, example: string): string | null {
  if (typeof value !== 'string') return `must be a decimal string, e.g. "${example}"`;
  const m = /^(0|[1-9]\d*)(?:\.(\d+))?$/.exec(value);
  if (!m) return `must be a non-negative decimal string, e.g. "${example}"`;
  if (m[1]!.length > MAX_INTEGER_DIGITS) return `at most ${MAX_INTEGER_DIGITS} digits before the decimal point`;
  if (places !== null && (m[2]?.length ?? 0) > places)
    return places === 0 ? 'must be a whole number' : `at most ${places} decimal places`;
  return null;
}

export const isZeroDecimal = (text: string): boolean => /^0(?:\.0+)?$/.test(text);

/** An RFC 3339 date-time as epoch ms, or the fault's message. */
export function instantOf(value: unknown): number | string {
  if (typeof value !== 'string') return 'must be an RFC 3339 date-time string, e.g. "2026-12-01T00:00:00Z"';
  const t = parseRfc3339(value);
  return isProblem(t) ? t.message : t;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Faults for the fields of `body` that are not in `known`: a misspelt optional field would otherwise be ignored silently. */
export function unknownFields(body: Record<string, unknown>, known: readonly string[], what: string): InputFault[] {
  return Object.keys(body)
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: k, message: `is not a field of ${what}` }));
}

export const codePoints = (text: string): number => [...text].length;
