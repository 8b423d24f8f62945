import rawCatalog from '../../../schemas/catalog.v1.json';
import { compileCatalog } from './catalog-compile';
import { CatalogData, Continent, EnumAttribute, MeterType, Region, SkuInfo, Unit, Zone } from './catalog-model';
import { renderSku } from './sku-template';

/** The meter catalog, checked and frozen once at module load: a bad data change fails the
 *  service at startup, not on the first event that touches it. */
export const catalog: CatalogData = compileCatalog(rawCatalog, 'schemas/catalog.v1.json');

// Maps rather than the JSON objects so that lookups of 'constructor' or '__proto__' find nothing.
const typesByName = indexBy(catalog.types, (t) => t.type);
const regionsByCode = indexBy(catalog.regions, (r) => r.code);
const unitsByCode = indexBy(catalog.units, (u) => u.code);
const continentsByCode = indexBy(catalog.continents, (c) => c.code);
const zonesByCode = indexBy(catalog.zones, (z) => z.code);
const skusByName = indexBy(catalog.skus, (s) => s.sku);
const enumValues = new Map(
  catalog.types.map((t) => [
    t.type,
    new Map(t.attributes.filter((a): a is EnumAttribute => a.kind === 'enum').map((a) => [a.name, new Set(a.values)])),
  ]),
);

export function meterType(type: string): MeterType | undefined {
  return typesByName.get(type);
}

export function meterTypes(): readonly MeterType[] {
  return catalog.types;
}

export function region(code: string): Region | undefined {
  return regionsByCode.get(code);
}

export function regions(): readonly Region[] {
  return catalog.regions;
}

export function continentOf(regionCode: string): Continent | undefined {
  const r = regionsByCode.get(regionCode);
  return r === undefined ? undefined : continentsByCode.get(r.continent);
}

export function zoneOf(regionCode: string): Zone | undefined {
  const r = regionsByCode.get(regionCode);
  return r === undefined ? undefined : zonesByCode.get(r.zone);
}

export function unit(code: string): Unit | undefined {
  return unitsByCode.get(code);
}

/** The unit code of a meter type or of a SKU; undefined when the catalog knows neither. */
export function unitOf(skuOrType: string): string | undefined {
  return (typesByName.get(skuOrType) ?? skusByName.get(skuOrType))?.unit;
}

/** Every SKU the catalog can produce; the price book is seeded and checked against it. */
export function allSkus(): readonly SkuInfo[] {
  return catalog.skus;
}

/** The SKU an event of this type in this region is priced as. Throws on values the catalog does
 *  not know: callers pass validated events or catalog data, so anything else is a bug. */
export function skuFor(type: string, attrs: Readonly<Record<string, unknown>>, regionCode: string): string {
  const meter = typesByName.get(type);
  if (meter === undefined) throw new Error(`unknown meter type '${type}'`);
  const where = regionsByCode.get(regionCode);
  if (where === undefined) throw new Error(`unknown region '${regionCode}'`);
  for (const part of meter.skuParts) {
    if (part.kind !== 'attribute') continue;
    const value = attrs[part.name];
    if (typeof value !== 'string' || enumValues.get(type)?.get(part.name)?.has(value) !== true) {
      throw new Error(`${type} needs a known '${part.name}', got '${String(value)}'`);
    }
  }
  const sku = renderSku(meter.skuParts, attrs, where);
  if (sku === undefined) throw new Error(`${type} could not render its SKU`);
  return sku;
}

function indexBy<T>(items: readonly T[], key: (item: T) => string): ReadonlyMap<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}
