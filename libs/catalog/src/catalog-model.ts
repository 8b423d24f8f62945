/** The typed view of schemas/catalog.v1.json, after compileCatalog has checked it. */

export interface Unit {
  readonly code: string;
  readonly name: string;
  /** Integer units reject fractional quantities: a host cannot run a machine for half a second. */
  readonly integer: boolean;
}

export interface Continent {
  readonly code: string;
  readonly name: string;
}

/** A price zone: regions that share a price for zone-priced meters such as network egress. */
export interface Zone {
  readonly code: string;
  readonly name: string;
}

export interface Region {
  readonly code: string;
  readonly name: string;
  readonly continent: string;
  readonly zone: string;
}

export interface EnumAttribute {
  readonly name: string;
  readonly required: boolean;
  readonly kind: 'enum';
  readonly values: readonly string[];
}

export interface IntegerAttribute {
  readonly name: string;
  readonly required: boolean;
  readonly kind: 'integer';
  readonly min: number;
}

export type AttributeSpec = EnumAttribute | IntegerAttribute;

/** Fields of the event's region that a SKU template may name; {region} is the region code. */
export type RegionField = 'code' | 'zone' | 'continent';

export type SkuPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'attribute'; readonly name: string }
  | { readonly kind: 'region'; readonly field: RegionField };

export interface MeterType {
  readonly type: string;
  readonly name: string;
  readonly unit: string;
  readonly integer: boolean;
  readonly skuTemplate: string;
  readonly skuParts: readonly SkuPart[];
  readonly attributes: readonly AttributeSpec[];
}

export interface SkuInfo {
  readonly sku: string;
  readonly type: string;
  readonly unit: string;
}

export interface CatalogData {
  readonly version: number;
  readonly units: readonly Unit[];
  readonly continents: readonly Continent[];
  readonly zones: readonly Zone[];
  readonly regions: readonly Region[];
  readonly types: readonly MeterType[];
  /** Every SKU the catalog can produce, in catalog order; the price book must price each one. */
  readonly skus: readonly SkuInfo[];
}
