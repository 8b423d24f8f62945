import rawCatalog from '../../../schemas/catalog.v1.json';
import { CatalogError } from './catalog-error';
import { compileCatalog } from './catalog-compile';

type Mutable = Record<string, Record<string, Record<string, unknown>>>;

/** A private copy of the shipped catalog for each test to break in its own way. */
function draft(): Mutable {
  return structuredClone(rawCatalog) as unknown as Mutable;
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    compileCatalog(raw, 'draft.json');
  } catch (e: unknown) {
    if (e instanceof CatalogError) return e.problems;
    throw e;
  }
  return [];
}

describe('compileCatalog', () => {
  it('given the shipped catalog when compiled then there are no problems', () => {
    expect(problemsOf(rawCatalog)).toEqual([]);
  });

  it('given a new region and a new size added as data then they are metered with no code change', () => {
    const d = draft();
    d.regions.cpt = { name: 'Cape Town, South Africa', continent: 'AF', zone: 'af' };
    const size = d.types['machine.runtime'].attributes as Record<string, { values: string[] }>;
    size.size.values.push('performance-32x');
    d.types['tpu.runtime'] = { name: 'TPU', unit: 'second', sku: 'tpu.runtime/{continent}', attributes: {} };
    const compiled = compileCatalog(d, 'draft.json');
    expect(compiled.regions).toHaveLength(35);
    expect(compiled.skus.map((s) => s.sku)).toEqual(
      expect.arrayContaining(['machine.runtime/performance-32x', 'tpu.runtime/EU', 'tpu.runtime/AF']),
    );
    expect(compiled.skus.filter((s) => s.type === 'tpu.runtime')).toHaveLength(6);
  });

  it('given a placeholder the type cannot resolve then the load fails naming it', () => {
    const d = draft();
    d.types['gpu.runtime'].sku = 'gpu.runtime/{colour}';
    expect(problemsOf(d)).toEqual([
      'types.gpu.runtime.sku: placeholder {colour} must name a required enum attribute of the type or one of {region}, {zone}, {continent}',
    ]);
  });

  it('given a placeholder naming an optional or integer attribute then the load fails', () => {
    const d = draft();
    d.types['machine.runtime'].sku = 'machine.runtime/{size}/{memory_mb}';
    expect(problemsOf(d)).toHaveLength(1);
    expect(problemsOf(d)[0]).toContain('{memory_mb}');
  });

  it('given a malformed template then the load fails', () => {
    const d = draft();
    d.types['machine.runtime'].sku = 'machine.runtime/{size';
    expect(problemsOf(d)[0]).toContain("unmatched '{'");
  });

  it('given a region with an unknown zone and one with an unknown continent then both are reported at once', () => {
    const d = draft();
    d.regions.ord.zone = 'mars';
    d.regions.fra.continent = 'XX';
    const problems = problemsOf(d);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^regions\.fra\.continent: unknown continent 'XX'/);
    expect(problems[1]).toMatch(/^regions\.ord\.zone: unknown zone 'mars'; expected one of eu, na/);
  });

  it('given an attribute the usage event has no field for then the load fails', () => {
    const d = draft();
    (d.types['volume.storage'].attributes as Record<string, unknown>).iops = {
      required: false,
      kind: 'integer',
      min: 0,
    };
    expect(problemsOf(d)[0]).toContain("no field for attribute 'iops'");
  });

  it('given an attribute of the wrong kind for its event field then the load fails', () => {
    const d = draft();
    (d.types['gpu.runtime'].attributes as Record<string, unknown>).gpu = { required: true, kind: 'integer', min: 0 };
    expect(problemsOf(d)).toContain("types.gpu.runtime.attributes.gpu.kind: the usage event carries 'gpu' as enum");
  });

  it('given two types producing the same SKU then the load fails', () => {
    const d = draft();
    d.types['ip.dedicated'].sku = 'volume.storage';
    expect(problemsOf(d)).toEqual(["sku 'volume.storage' is produced by both volume.storage and ip.dedicated"]);
  });

  it('given an unknown unit, a missing name and duplicate values then every problem is listed', () => {
    const d = draft();
    d.types['ip.dedicated'].unit = 'hour';
    delete d.regions.ams.name;
    (d.types['gpu.runtime'].attributes as Record<string, { values: string[] }>).gpu.values.push('a10');
    expect(problemsOf(d)).toEqual([
      'regions.ams.name: must be a non-empty string',
      'types.gpu.runtime.attributes.gpu.values: must be a non-empty list of distinct lowercase codes',
      'types.ip.dedicated.unit: must be one of second, byte, gb-second',
    ]);
  });

  it('given something that is not a catalog then the error says where it came from', () => {
    expect(() => compileCatalog([], 'draft.json')).toThrow(
      /^draft\.json is not a valid meter catalog:\n {2}- \(root\): must be an object/,
    );
    expect(problemsOf({ version: 2 })).toContain('version: must be 1');
  });
});
