import { Dec } from '@metering/domain';

/** Digits before and after the point a threshold may have: dollars up to 10^15, to the millionth. */
const THRESHOLD = /^\d{1,15}(?:\.\d{1,6})?$/;

/** The threshold `text` names, or null when it is not a positive decimal string like "250.00". */
export function parseThreshold(text: unknown): Dec | null {
  if (typeof text !== 'string' || !THRESHOLD.test(text)) return null;
  const d = Dec.of(text);
  return d.cmp(Dec.ZERO) > 0 ? d : null;
}
