import { CatalogError } from './catalog-error';
import {
  AttributeSpec,
  CatalogData,
  Continent,
  MeterType,
  Region,
  RegionField,
  SkuInfo,
  SkuPart,
  Unit,
  Zone,
} from './catalog-model';
import { EVENT_ATTRIBUTES, isEventAttribute } from './event-attributes';
import { enumerateSkus, parseSkuTemplate } from './sku-template';

type Json = Readonly<Record<string, unknown>>;

const SLUG = /^[a-z0-9][a-z0-9._-]*$/;
const CONTINENT_CODE = /^[A-Z]{2}$/;
const REGION_PLACEHOLDERS: Readonly<Record<string, RegionField>> = {
  region: 'code',
  zone: 'zone',
  continent: 'continent',
};
const SUPPORTED_VERSION = 1;

/** Turns the raw JSON into the frozen typed view, or throws a CatalogError naming every problem. */
export function compileCatalog(raw: unknown, origin: string): CatalogData {
  const problems: string[] = [];
  const check = new Checker(problems);
  const root = check.record(raw, '(root)');
  if (root.version !== SUPPORTED_VERSION) problems.push(`version: must be ${SUPPORTED_VERSION}`);

  const units = check.entries(root, 'units', 'slug').map(([code, u, path]): Unit => ({
    code,
    name: check.text(u, 'name', path),
    integer: check.boolean(u, 'integer', path),
  }));
  const named = (key: string, kind: CodeKind) =>
    check.entries(root, key, kind).map(([code, v, path]) => ({ code, name: check.text(v, 'name', path) }));
  const continents: Continent[] = named('continents', 'continent');
  const zones: Zone[] = named('zones', 'slug');
  const regions = check.entries(root, 'regions', 'slug').map(([code, r, path]): Region => ({
    code,
    name: check.text(r, 'name', path),
    continent: check.oneOf(r, 'continent', path, continents),
    zone: check.oneOf(r, 'zone', path, zones),
  }));
  const types = check.entries(root, 'types', 'slug').map(([type, t, path]) => compileType(type, t, path, units, check));

  const skus = problems.length === 0 ? collectSkus(types, regions, problems) : [];
  if (problems.length > 0) throw new CatalogError(origin, problems);
  return deepFreeze({ version: SUPPORTED_VERSION, units, continents, zones, regions, types, skus });
}

function compileType(type: string, raw: Json, path: string, units: readonly Unit[], check: Checker): MeterType {
  const unit = units.find((u) => u.code === raw.unit);
  if (unit === undefined) check.problems.push(`${path}.unit: must be one of ${units.map((u) => u.code).join(', ')}`);
  const attributes = check
    .entries(raw, 'attributes', 'attribute', path, true)
    .map(([name, a, p]) => compileAttribute(name, a, p, check));
  const skuTemplate = check.text(raw, 'sku', path);
  return {
    type,
    name: check.text(raw, 'name', path),
    unit: unit?.code ?? '',
    integer: unit?.integer ?? false,
    skuTemplate,
    skuParts: resolveTemplate(skuTemplate, attributes, `${path}.sku`, check.problems),
    attributes,
  };
}

function compileAttribute(name: string, raw: Json, path: string, check: Checker): AttributeSpec {
  const required = check.boolean(raw, 'required', path);
  const carried = isEventAttribute(name) ? EVENT_ATTRIBUTES[name] : undefined;
  if (carried !== undefined && raw.kind !== carried.kind) {
    check.problems.push(`${path}.kind: the usage event carries '${name}' as ${carried.kind}`);
  }
  if (raw.kind === 'integer') {
    const min = raw.min;
    if (typeof min !== 'number' || !Number.isSafeInteger(min)) check.problems.push(`${path}.min: must be an integer`);
    return { name, required, kind: 'integer', min: typeof min === 'number' ? min : 0 };
  }
  if (raw.kind !== 'enum') check.problems.push(`${path}.kind: must be 'enum' or 'integer'`);
  const values = Array.isArray(raw.values) ? raw.values : [];
  const good = values.filter((v): v is string => typeof v === 'string' && SLUG.test(v));
  if (values.length === 0 || good.length !== values.length || new Set(good).size !== good.length) {
    check.problems.push(`${path}.values: must be a non-empty list of distinct lowercase codes`);
  }
  return { name, required, kind: 'enum', values: good };
}

/** A placeholder must always have a value and a finite set of them, or neither the event's SKU
 *  nor the price book's list of SKUs could be derived; hence required enums or region fields only. */
function resolveTemplate(
  template: string,
  attributes: readonly AttributeSpec[],
  path: string,
  problems: string[],
): SkuPart[] {
  const parsed = parseSkuTemplate(template);
  if ('problem' in parsed) {
    problems.push(`${path}: ${parsed.problem} in '${template}'`);
    return [];
  }
  return parsed.tokens.map((token): SkuPart => {
    if (token.kind === 'text') return token;
    const attribute = attributes.find((a) => a.name === token.name);
    if (attribute !== undefined && attribute.kind === 'enum' && attribute.required)
      return { kind: 'attribute', name: token.name };
    const field = Object.prototype.hasOwnProperty.call(REGION_PLACEHOLDERS, token.name)
      ? REGION_PLACEHOLDERS[token.name]
      : undefined;
    if (attribute === undefined && field !== undefined) return { kind: 'region', field };
    problems.push(
      `${path}: placeholder {${token.name}} must name a required enum attribute of the type or one of {${Object.keys(REGION_PLACEHOLDERS).join('}, {')}}`,
    );
    return { kind: 'text', text: '' };
  });
}

/** SKUs key the price book, so one SKU must never mean two meter types. */
function collectSkus(types: readonly MeterType[], regions: readonly Region[], problems: string[]): SkuInfo[] {
  const owner = new Map<string, string>();
  const skus: SkuInfo[] = [];
  for (const t of types) {
    for (const sku of enumerateSkus(t, regions)) {
      const other = owner.get(sku);
      if (other !== undefined) problems.push(`sku '${sku}' is produced by both ${other} and ${t.type}`);
      owner.set(sku, t.type);
      skus.push({ sku, type: t.type, unit: t.unit });
    }
  }
  return skus;
}

type CodeKind = 'slug' | 'continent' | 'attribute';

class Checker {
  constructor(readonly problems: string[]) {}

  record(value: unknown, path: string): Json {
    if (isJsonObject(value)) return value;
    this.problems.push(`${path}: must be an object`);
    return {};
  }

  /** The keyed members of an object-valued property, each checked to be an object. */
  entries(parent: Json, key: string, kind: CodeKind, at = '', mayBeEmpty = false): [string, Json, string][] {
    const path = at === '' ? key : `${at}.${key}`;
    const obj = this.record(parent[key], path);
    const keys = Object.keys(obj);
    if (keys.length === 0 && !mayBeEmpty && isJsonObject(parent[key])) this.problems.push(`${path}: must not be empty`);
    return keys.map((code) => {
      const member = `${path}.${code}`;
      const bad = codeProblem(code, kind);
      if (bad !== undefined) this.problems.push(`${member}: ${bad}`);
      return [code, this.record(obj[code], member), member];
    });
  }

  text(obj: Json, key: string, path: string): string {
    const v = obj[key];
    if (typeof v === 'string' && v.length > 0) return v;
    this.problems.push(`${path}.${key}: must be a non-empty string`);
    return '';
  }

  boolean(obj: Json, key: string, path: string): boolean {
    const v = obj[key];
    if (typeof v === 'boolean') return v;
    this.problems.push(`${path}.${key}: must be true or false`);
    return false;
  }

  oneOf(obj: Json, key: string, path: string, known: readonly { code: string }[]): string {
    const v = obj[key];
    if (typeof v === 'string' && known.some((k) => k.code === v)) return v;
    this.problems.push(
      `${path}.${key}: unknown ${key} '${String(v)}'; expected one of ${known.map((k) => k.code).join(', ')}`,
    );
    return '';
  }
}

function codeProblem(code: string, kind: CodeKind): string | undefined {
  if (kind === 'attribute') {
    if (isEventAttribute(code)) return undefined;
    return `the usage event has no field for attribute '${code}' (it carries ${Object.keys(EVENT_ATTRIBUTES).join(', ')}); adding one is a schema change`;
  }
  const ok = kind === 'continent' ? CONTINENT_CODE.test(code) : SLUG.test(code);
  return ok ? undefined : `'${code}' is not a valid code`;
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
