import type { InputFault, Validated } from '../terms/input';
import { codePoints, isObject } from '../terms/input';

/** An app's labels (CONTRACT.md, "Cost allocation by label"): key to value. */
export type Labels = Readonly<Record<string, string>>;

export const MAX_LABELS = 10;
export const LABEL_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_VALUE_CHARS = 64;
/** Printable: no control characters, no lone surrogates (which UTF-8 cannot carry). */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;

export const isLabelKey = (key: string): boolean => LABEL_KEY.test(key);

/** Checks a `PUT .../apps/{app}/labels` body: at most 10 labels, keys `[a-z][a-z0-9_]{0,31}`, values 1..64 printable characters. */
export function validateLabels(body: unknown): Validated<Labels> {
  if (!isObject(body)) return { ok: false, faults: [{ path: '', message: 'must be a JSON object of labels' }] };
  const faults: InputFault[] = [];
  const entries = Object.entries(body);
  if (entries.length > MAX_LABELS) faults.push({ path: '', message: `at most ${MAX_LABELS} labels` });
  for (const [key, value] of entries) {
    if (!isLabelKey(key)) faults.push({ path: key, message: 'a label key is [a-z][a-z0-9_]{0,31}' });
    else if (
      typeof value !== 'string' ||
      value === '' ||
      codePoints(value) > MAX_VALUE_CHARS ||
      UNPRINTABLE.test(value)
    )
      faults.push({ path: key, message: `a label value is a string of 1..${MAX_VALUE_CHARS} printable characters` });
  }
  if (faults.length > 0) return { ok: false, faults };
  return { ok: true, value: Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1))) as Labels };
}

/** The label keys of `group_by=label:<key>` and filters `label:<key>=`, or the fault's message. */
export function labelKeyOf(param: string): string | null {
  const key = param.slice('label:'.length);
  return param.startsWith('label:') && isLabelKey(key) ? key : null;
}
