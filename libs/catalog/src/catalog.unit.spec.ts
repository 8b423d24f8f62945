import rawCatalog from '../../../schemas/catalog.v1.json';
import {
  allSkus,
  catalog,
  continentOf,
  meterType,
  meterTypes,
  region,
  regions,
  skuFor,
  unit,
  unitOf,
  zoneOf,
} from './catalog';
import { Region } from './catalog-model';

describe('the meter catalog as loaded', () => {
  it('given schemas/catalog.v1.json when loaded then it has every region, continent, zone, unit and type', () => {
    expect(regions()).toHaveLength(34);
    expect(catalog.continents.map((c) => [c.code, c.name])).toEqual([
      ['EU', 'Europe'],
      ['NA', 'North America'],
      ['SA', 'South America'],
      ['AS', 'Asia'],
      ['OC', 'Oceania'],
      ['AF', 'Africa'],
    ]);
    expect(catalog.zones.map((z) => z.code)).toEqual(['eu', 'na', 'sa', 'apac', 'in', 'af']);
    expect(catalog.units.map((u) => [u.code, u.integer])).toEqual([
      ['second', true],
      ['byte', true],
      ['gb-second', false],
    ]);
    expect(meterTypes().map((t) => t.type)).toEqual([
      'machine.runtime',
      'gpu.runtime',
      'volume.storage',
      'network.egress',
      'ip.dedicated',
    ]);
  });

  it('given every region then each has a city name, a known continent and a known zone', () => {
    for (const r of regions()) {
      expect(r.name.length).toBeGreaterThan(0);
      expect(continentOf(r.code)?.code).toBe(r.continent);
      expect(zoneOf(r.code)?.code).toBe(r.zone);
    }
  });

  it('when listing SKUs then it is every size, every GPU, every price zone and the flat meters', () => {
    expect(allSkus()).toEqual([
      { sku: 'machine.runtime/shared-cpu-1x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/shared-cpu-2x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/shared-cpu-4x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/shared-cpu-8x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/performance-1x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/performance-2x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/performance-4x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/performance-8x', type: 'machine.runtime', unit: 'second' },
      { sku: 'machine.runtime/performance-16x', type: 'machine.runtime', unit: 'second' },
      { sku: 'gpu.runtime/a10', type: 'gpu.runtime', unit: 'second' },
      { sku: 'gpu.runtime/l40s', type: 'gpu.runtime', unit: 'second' },
      { sku: 'gpu.runtime/a100-40gb', type: 'gpu.runtime', unit: 'second' },
      { sku: 'gpu.runtime/a100-80gb', type: 'gpu.runtime', unit: 'second' },
      { sku: 'volume.storage', type: 'volume.storage', unit: 'gb-second' },
      { sku: 'network.egress/eu', type: 'network.egress', unit: 'byte' },
      { sku: 'network.egress/na', type: 'network.egress', unit: 'byte' },
      { sku: 'network.egress/sa', type: 'network.egress', unit: 'byte' },
      { sku: 'network.egress/apac', type: 'network.egress', unit: 'byte' },
      { sku: 'network.egress/in', type: 'network.egress', unit: 'byte' },
      { sku: 'network.egress/af', type: 'network.egress', unit: 'byte' },
      { sku: 'ip.dedicated', type: 'ip.dedicated', unit: 'second' },
    ]);
  });

  it('given a type or a SKU when asking its unit then both resolve, and unknowns do not', () => {
    expect(unitOf('machine.runtime')).toBe('second');
    expect(unitOf('machine.runtime/performance-16x')).toBe('second');
    expect(unitOf('network.egress/in')).toBe('byte');
    expect(unitOf('volume.storage')).toBe('gb-second');
    expect(unitOf('network.egress/xx')).toBeUndefined();
    expect(unitOf('constructor')).toBeUndefined();
    expect(unit('gb-second')?.integer).toBe(false);
    expect(unit('byte')?.integer).toBe(true);
  });

  it('given lookups of inherited object keys then nothing is found', () => {
    expect(meterType('toString')).toBeUndefined();
    expect(region('__proto__')).toBeUndefined();
    expect(continentOf('constructor')).toBeUndefined();
  });

  it('given regions when asking their continent and zone then they come from the data', () => {
    expect(region('ord')?.name).toContain('Chicago');
    expect(continentOf('bom')?.name).toBe('Asia');
    expect(zoneOf('bom')?.code).toBe('in');
    expect(continentOf('syd')?.name).toBe('Oceania');
    expect(zoneOf('syd')?.code).toBe('apac');
    expect(continentOf('jnb')?.code).toBe('AF');
    expect(continentOf('nowhere')).toBeUndefined();
  });

  it('given types, attributes and regions when deriving SKUs then templates are filled in', () => {
    expect(skuFor('machine.runtime', { size: 'shared-cpu-1x' }, 'ord')).toBe('machine.runtime/shared-cpu-1x');
    expect(skuFor('gpu.runtime', { gpu: 'l40s', size: 'ignored' }, 'ams')).toBe('gpu.runtime/l40s');
    expect(skuFor('network.egress', {}, 'fra')).toBe('network.egress/eu');
    expect(skuFor('network.egress', {}, 'bom')).toBe('network.egress/in');
    expect(skuFor('volume.storage', {}, 'syd')).toBe('volume.storage');
  });

  it('given values the catalog does not know when deriving a SKU then it throws', () => {
    expect(() => skuFor('machine.runtime', { size: 'huge' }, 'ord')).toThrow("machine.runtime needs a known 'size'");
    expect(() => skuFor('machine.runtime', {}, 'ord')).toThrow('size');
    expect(() => skuFor('machine.hours', {}, 'ord')).toThrow("unknown meter type 'machine.hours'");
    expect(() => skuFor('network.egress', {}, 'xyz')).toThrow("unknown region 'xyz'");
  });

  it('given the loaded view when someone tries to change it then it is frozen', () => {
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.regions[0])).toBe(true);
    expect(Object.isFrozen(meterType('machine.runtime')?.attributes[0])).toBe(true);
    expect(() => (catalog.regions as Region[]).push(catalog.regions[0])).toThrow(TypeError);
  });

  it('given the raw JSON then the types describe their attributes as data', () => {
    expect(rawCatalog.types['machine.runtime'].attributes.memory_mb).toEqual({
      required: false,
      kind: 'integer',
      min: 0,
    });
    expect(meterType('machine.runtime')?.attributes.map((a) => [a.name, a.kind, a.required])).toEqual([
      ['size', 'enum', true],
      ['memory_mb', 'integer', false],
    ]);
  });
});
