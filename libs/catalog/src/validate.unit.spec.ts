import { asValidatedOrg } from '@metering/domain';
import { Fault, UsageEvent, Validation } from './types';
import { validateEvent, ValidationContext } from './validate';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const DAY = 86_400_000;
const ctx: ValidationContext = { now: NOW, orgExists: (slug) => slug === 'acme' || slug === 'globex' };

type Json = Record<string, unknown>;

/** The contract's example event; each case overrides what it is about. `undefined` removes a field. */
function event(top: Json = {}, data: Json = {}): Json {
  const base: Json = {
    specversion: '1.0',
    id: '0b6f3c1e-5d2a-4c1b-9e8f-2a7d3c4b5e6f',
    source: 'host/ord-7f2a',
    type: 'machine.runtime',
    time: '2026-11-21T10:15:00Z',
    data: {
      ...withoutUndefined({
        org: 'acme',
        app: 'web',
        resource: 'm_3d8e91',
        region: 'ord',
        quantity: 60,
        size: 'shared-cpu-1x',
        ...data,
      }),
    },
  };
  return withoutUndefined({ ...base, ...top });
}

function withoutUndefined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function accepted(v: Validation): UsageEvent {
  if (!v.ok) throw new Error(`expected acceptance, got ${v.errors.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
  return v.event;
}

function faults(v: Validation): Fault[] {
  if (v.ok) throw new Error('expected rejection');
  return v.errors;
}

const iso = (epoch: number): string => new Date(epoch).toISOString();

describe('validateEvent', () => {
  describe('given valid events of every type', () => {
    it('when the contract example arrives then every field is carried and the SKU derived', () => {
      expect(accepted(validateEvent(event({}, { memory_mb: 256 }), ctx))).toEqual({
        id: '0b6f3c1e-5d2a-4c1b-9e8f-2a7d3c4b5e6f',
        source: 'host/ord-7f2a',
        type: 'machine.runtime',
        time: Date.UTC(2026, 10, 21, 10, 15),
        org: 'acme',
        app: 'web',
        resource: 'm_3d8e91',
        region: 'ord',
        quantity: '60',
        sku: 'machine.runtime/shared-cpu-1x',
        size: 'shared-cpu-1x',
        gpu: null,
        memoryMb: 256,
      });
    });

    it.each<[string, Json, Json, Partial<UsageEvent>]>([
      [
        'machine without app',
        {},
        { app: undefined, size: 'performance-16x', region: 'fra' },
        { app: '', sku: 'machine.runtime/performance-16x', memoryMb: null },
      ],
      ['machine with null app', {}, { app: null, quantity: 0 }, { app: '', quantity: '0' }],
      ['machine ignoring a gpu', {}, { gpu: 'a10', size: 'shared-cpu-8x' }, { gpu: null, size: 'shared-cpu-8x' }],
      ['machine with memory 0', {}, { memory_mb: 0 }, { memoryMb: 0 }],
      ['machine with null memory', {}, { memory_mb: null }, { memoryMb: null }],
      [
        'gpu a100-80gb',
        { type: 'gpu.runtime' },
        { gpu: 'a100-80gb' },
        { sku: 'gpu.runtime/a100-80gb', gpu: 'a100-80gb', size: null },
      ],
      [
        'gpu l40s in ams',
        { type: 'gpu.runtime' },
        { gpu: 'l40s', region: 'ams', size: undefined },
        { sku: 'gpu.runtime/l40s', region: 'ams' },
      ],
      [
        'gpu ignoring memory',
        { type: 'gpu.runtime' },
        { gpu: 'a10', memory_mb: -5 },
        { sku: 'gpu.runtime/a10', memoryMb: null },
      ],
      [
        'volume fraction',
        { type: 'volume.storage' },
        { quantity: 0.25, size: undefined },
        { sku: 'volume.storage', quantity: '0.25', size: null },
      ],
      ['volume tiny exponent', { type: 'volume.storage' }, { quantity: 1e-7 }, { quantity: '0.0000001' }],
      [
        'volume huge exponent',
        { type: 'volume.storage' },
        { quantity: 1.5e21 },
        { quantity: '1500000000000000000000' },
      ],
      ['volume 9 decimals', { type: 'volume.storage' }, { quantity: 3.123456789 }, { quantity: '3.123456789' }],
      [
        'egress fra',
        { type: 'network.egress' },
        { region: 'fra', quantity: 12345678901234 },
        { sku: 'network.egress/eu', quantity: '12345678901234' },
      ],
      ['egress bom', { type: 'network.egress' }, { region: 'bom' }, { sku: 'network.egress/in' }],
      ['egress syd', { type: 'network.egress' }, { region: 'syd' }, { sku: 'network.egress/apac' }],
      ['egress gru', { type: 'network.egress' }, { region: 'gru' }, { sku: 'network.egress/sa' }],
      ['egress jnb', { type: 'network.egress' }, { region: 'jnb' }, { sku: 'network.egress/af' }],
      ['egress iad', { type: 'network.egress' }, { region: 'iad' }, { sku: 'network.egress/na' }],
      [
        'dedicated ip',
        { type: 'ip.dedicated' },
        { resource: 'ip_9a1b', quantity: 3600 },
        { sku: 'ip.dedicated', quantity: '3600' },
      ],
      [
        'dedicated ip, largest safe count',
        { type: 'ip.dedicated' },
        { quantity: Number.MAX_SAFE_INTEGER },
        { quantity: '9007199254740991' },
      ],
      ['offset time', { time: '2026-11-21T10:15:00.123+02:00' }, {}, { time: Date.UTC(2026, 10, 21, 8, 15, 0, 123) }],
      [
        'CloudEvents extensions',
        { datacontenttype: 'application/json', subject: 'm_3d8e91', traceparent: '00-abc-def-01' },
        {},
        { id: '0b6f3c1e-5d2a-4c1b-9e8f-2a7d3c4b5e6f' },
      ],
      ['non-ASCII resource', {}, { resource: 'vol_São_\u{1F680}' }, { resource: 'vol_São_\u{1F680}' }],
      ['another org', {}, { org: 'globex' }, { org: asValidatedOrg('globex') }],
    ])('when %s then it is accepted', (_name, top, data, expected) => {
      expect(accepted(validateEvent(event(top, data), ctx))).toEqual(expect.objectContaining(expected));
    });

    it('when no organization directory is given then only the slug shape is checked', () => {
      expect(accepted(validateEvent(event({}, { org: 'initech' }), { now: NOW })).org).toBe('initech');
    });
  });

  describe('given bad events', () => {
    const cases: [string, unknown, string[], string?][] = [
      ['null', null, [''], 'must be an object'],
      ['an array', [event()], [''], 'must be an object'],
      ['a string', '{"id":"1"}', [''], 'must be an object'],
      ['a number', 42, ['']],
      ['no specversion', event({ specversion: undefined }), ['specversion'], 'is required'],
      ['specversion 0.3', event({ specversion: '0.3' }), ['specversion'], "must be '1.0'"],
      ['numeric specversion', event({ specversion: 1.0 }), ['specversion']],
      ['no id', event({ id: undefined }), ['id'], 'is required'],
      ['empty id', event({ id: '' }), ['id'], 'must be 1 to 128 characters'],
      ['129-char id', event({ id: 'i'.repeat(129) }), ['id'], 'must be 1 to 128 characters'],
      ['numeric id', event({ id: 17 }), ['id'], 'must be a string'],
      ['id with NUL', event({ id: 'a\u0000b' }), ['id'], 'must not contain control characters or unpaired surrogates'],
      ['id with a lone surrogate', event({ id: 'a\ud800' }), ['id']],
      ['no source', event({ source: undefined }), ['source']],
      ['empty source', event({ source: '' }), ['source']],
      ['257-char source', event({ source: 's'.repeat(257) }), ['source'], 'must be 1 to 256 characters'],
      ['no type', event({ type: undefined }), ['type']],
      [
        'unknown type',
        event({ type: 'machine.hours' }),
        ['type'],
        "unknown type 'machine.hours'; expected one of machine.runtime, gpu.runtime, volume.storage, network.egress, ip.dedicated",
      ],
      ['type of an inherited key', event({ type: 'constructor' }), ['type']],
      ['numeric type', event({ type: 1 }), ['type'], 'must be a string'],
      ['no time', event({ time: undefined }), ['time']],
      ['date-only time', event({ time: '2026-11-21' }), ['time'], 'must be an RFC 3339 date-time'],
      ['space-separated time', event({ time: '2026-11-21 10:15:00' }), ['time'], 'must be an RFC 3339 date-time'],
      ['time without zone', event({ time: '2026-11-21T10:15:00' }), ['time']],
      ['Nov 31', event({ time: '2026-11-31T10:00:00Z' }), ['time'], 'is not a real date and time'],
      ['hour 24', event({ time: '2026-11-21T24:00:00Z' }), ['time']],
      ['epoch-number time', event({ time: NOW }), ['time'], 'must be a string'],
      ['36-day-old time', event({ time: iso(NOW - 36 * DAY) }), ['time'], 'is more than 35 days in the past'],
      ['time 10 minutes ahead', event({ time: iso(NOW + 600_000) }), ['time'], 'is more than 5 minutes in the future'],
      ['no data', event({ data: undefined }), ['data'], 'is required'],
      ['array data', event({ data: [] }), ['data'], 'must be an object'],
      ['string data', event({ data: 'org=acme' }), ['data'], 'must be an object'],
      ['no org', event({}, { org: undefined }), ['data.org'], 'is required'],
      ['uppercase org', event({}, { org: 'Acme' }), ['data.org'], 'must be a slug'],
      ['org starting with a dash', event({}, { org: '-acme' }), ['data.org']],
      ['64-char org', event({}, { org: 'a'.repeat(64) }), ['data.org']],
      ['unknown org', event({}, { org: 'initech' }), ['data.org'], "unknown organization 'initech'"],
      ['numeric app', event({}, { app: 7 }), ['data.app'], 'must be a string'],
      ['129-char app', event({}, { app: 'a'.repeat(129) }), ['data.app'], 'must be at most 128 characters'],
      ['no resource', event({}, { resource: undefined }), ['data.resource']],
      ['empty resource', event({}, { resource: '' }), ['data.resource']],
      ['no region', event({}, { region: undefined }), ['data.region']],
      [
        'unknown region',
        event({}, { region: 'xyz' }),
        ['data.region'],
        "unknown region 'xyz'; expected one of ams, arn",
      ],
      ['uppercase region', event({}, { region: 'ORD' }), ['data.region']],
      ['no quantity', event({}, { quantity: undefined }), ['data.quantity'], 'is required'],
      [
        'numeric-string quantity',
        event({}, { quantity: '60' }),
        ['data.quantity'],
        'must be a JSON number, not a string',
      ],
      ['boolean quantity', event({}, { quantity: true }), ['data.quantity'], 'must be a number'],
      ['negative quantity', event({}, { quantity: -1 }), ['data.quantity'], 'must not be negative'],
      ['infinite quantity', event({}, { quantity: Infinity }), ['data.quantity'], 'must be finite'],
      ['NaN quantity', event({}, { quantity: NaN }), ['data.quantity'], 'must be finite'],
      ['fractional seconds', event({}, { quantity: 1.5 }), ['data.quantity'], "must be an integer for unit 'second'"],
      [
        'fractional bytes',
        event({ type: 'network.egress' }, { quantity: 0.5 }),
        ['data.quantity'],
        "must be an integer for unit 'byte'",
      ],
      ['1.5e21 bytes', event({ type: 'network.egress' }, { quantity: 1.5e21 }), ['data.quantity'], 'too large'],
      ['1e21 seconds', event({}, { quantity: 1e21 }), ['data.quantity'], 'too large'],
      [
        '10 decimals of storage',
        event({ type: 'volume.storage' }, { quantity: 0.0000000001 }),
        ['data.quantity'],
        'at most 9 decimal places',
      ],
      [
        '5e-324 of storage',
        event({ type: 'volume.storage' }, { quantity: 5e-324 }),
        ['data.quantity'],
        'at most 9 decimal places',
      ],
      ['no size for a machine', event({}, { size: undefined }), ['data.size'], 'is required for machine.runtime'],
      [
        'unknown size',
        event({}, { size: 'xx' }),
        ['data.size'],
        "unknown size 'xx'; expected one of shared-cpu-1x, shared-cpu-2x",
      ],
      ['numeric size', event({}, { size: 1 }), ['data.size'], 'must be a string'],
      ['negative memory', event({}, { memory_mb: -1 }), ['data.memory_mb'], 'must be an integer >= 0'],
      ['fractional memory', event({}, { memory_mb: 1.5 }), ['data.memory_mb']],
      ['numeric-string memory', event({}, { memory_mb: '512' }), ['data.memory_mb']],
      ['no gpu for a gpu', event({ type: 'gpu.runtime' }), ['data.gpu'], 'is required for gpu.runtime'],
      [
        'unknown gpu',
        event({ type: 'gpu.runtime' }, { gpu: 'h100' }),
        ['data.gpu'],
        "unknown gpu 'h100'; expected one of a10, l40s, a100-40gb, a100-80gb",
      ],
    ];

    it('then the table is big enough to mean something', () => {
      expect(cases.length).toBeGreaterThanOrEqual(40);
    });

    // Every row gets four cells: with fewer, jest would hand the test a `done` callback instead.
    const rows = cases.map(([name, raw, paths, message]): [string, unknown, string[], string] => [
      name,
      raw,
      paths,
      message ?? '',
    ]);

    it.each(rows)('when %s then exactly the expected paths are reported', (_name, raw, paths, message) => {
      const errors = faults(validateEvent(raw, ctx));
      expect(errors.map((f) => f.path)).toEqual(paths);
      expect(errors[0].message).toContain(message);
    });
  });

  describe('given an event wrong in many ways', () => {
    it('when validated then every fault is reported, not just the first', () => {
      const raw = event(
        { specversion: '0.3', id: '', type: 'machine.hours', time: '2026-11-21' },
        { org: 'Acme', app: 5, resource: '', region: 'xyz', quantity: '60' },
      );
      expect(faults(validateEvent(raw, ctx)).map((f) => f.path)).toEqual([
        'specversion',
        'id',
        'type',
        'time',
        'data.org',
        'data.app',
        'data.resource',
        'data.region',
        'data.quantity',
      ]);
    });

    it('when the type is known then attribute faults join the others', () => {
      const raw = event({ time: iso(NOW + DAY) }, { size: 'xx', memory_mb: -1, quantity: 0.5, org: 'initech' });
      expect(faults(validateEvent(raw, ctx)).map((f) => f.path)).toEqual([
        'time',
        'data.org',
        'data.quantity',
        'data.size',
        'data.memory_mb',
      ]);
    });

    it('when the type is unknown then the quantity is still checked on its own terms', () => {
      const raw = event({ type: 'nope' }, { quantity: 5e-324 });
      expect(faults(validateEvent(raw, ctx))).toEqual([
        expect.objectContaining({ path: 'type' }),
        { path: 'data.quantity', message: 'at most 9 decimal places' },
      ]);
    });

    it('when data is not an object then the envelope faults are still reported', () => {
      expect(faults(validateEvent(event({ id: '', data: 3 }), ctx)).map((f) => f.path)).toEqual(['id', 'data']);
    });
  });

  describe('given boundary values', () => {
    it.each<[string, Json, boolean]>([
      ['exactly 35 days old', { time: iso(NOW - 35 * DAY) }, true],
      ['35 days and 1 ms old', { time: iso(NOW - 35 * DAY - 1) }, false],
      ['exactly 5 minutes ahead', { time: iso(NOW + 300_000) }, true],
      ['5 minutes and 1 ms ahead', { time: iso(NOW + 300_001) }, false],
      ['exactly now', { time: iso(NOW) }, true],
      ['an id of 128', { id: 'i'.repeat(128) }, true],
      ['an id of 129', { id: 'i'.repeat(129) }, false],
      ['an id of 128 astral characters', { id: '\u{1F680}'.repeat(128) }, true],
      ['an id of 129 astral characters', { id: '\u{1F680}'.repeat(129) }, false],
      ['an id of 1', { id: 'i' }, true],
      ['a source of 256', { source: 's'.repeat(256) }, true],
      ['a source of 257', { source: 's'.repeat(257) }, false],
    ])('when %s then acceptance is %p', (_name, top, ok) => {
      expect(validateEvent(event(top), ctx).ok).toBe(ok);
    });

    it.each<[string, Json, boolean]>([
      ['an app of 128', { app: 'a'.repeat(128) }, true],
      ['an empty app', { app: '' }, true],
      ['a resource of 128', { resource: 'r'.repeat(128) }, true],
      ['a resource of 129', { resource: 'r'.repeat(129) }, false],
      ['an org of 63', { org: 'a'.repeat(63) }, true],
      ['a one-letter org', { org: 'a' }, true],
      ['memory at the largest safe integer', { memory_mb: Number.MAX_SAFE_INTEGER }, true],
      ['memory beyond the largest safe integer', { memory_mb: Number.MAX_SAFE_INTEGER + 1 }, false],
    ])('when data has %s then acceptance is %p', (_name, data, ok) => {
      expect(validateEvent(event({}, data), { now: NOW }).ok).toBe(ok);
    });
  });
});
