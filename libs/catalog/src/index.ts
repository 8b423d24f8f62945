export * from './types';
export * from './catalog-model';
export { CatalogError } from './catalog-error';
export { compileCatalog } from './catalog-compile';
export {
  catalog,
  meterType,
  meterTypes,
  region,
  regions,
  continentOf,
  zoneOf,
  unit,
  unitOf,
  allSkus,
  skuFor,
} from './catalog';
export { EVENT_ATTRIBUTES } from './event-attributes';
export type { EventAttributeName } from './event-attributes';
export { SCALE, MAX_FRACTION_DIGITS, canonicalQuantity, toScaled, fromScaled } from './scaled-quantity';
export type { Problem } from './problem';
export { isProblem } from './problem';
export { parseRfc3339 } from './rfc3339';
export { isStorableText } from './text';
export { validateEvent } from './validate';
export type { ValidationContext } from './validate';
