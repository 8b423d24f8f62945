// Control characters and unpaired surrogates: Postgres text refuses NUL outright, and UTF-8
// encoding turns every lone surrogate into U+FFFD, which would merge distinct ids into one.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSTORABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const QUOTE_LIMIT = 64;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** Whether the text has min..max characters, counted as code points (as Postgres counts them)
 *  rather than UTF-16 units, without counting at all when the unit count already decides it. */
export function lengthWithin(text: string, min: number, max: number): boolean {
  const units = text.length;
  if (units < min || units > 2 * max) return false;
  if (units <= max && units >= 2 * min) return true;
  let chars = 0;
  for (let i = 0; i < units; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    chars++;
  }
  return chars >= min && chars <= max;
}

/** A value echoed back in a fault message, cut short so a hostile payload cannot bloat the reply. */
export function quote(text: string): string {
  return text.length <= QUOTE_LIMIT ? `'${text}'` : `'${text.slice(0, QUOTE_LIMIT)}…'`;
}
