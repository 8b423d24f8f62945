import fc from 'fast-check';
import { Type } from 'avsc';
import { asValidatedOrg } from '@metering/domain';
import type { UsageEvent } from '@metering/catalog';
import { readSchemaFile } from './schema-file';
import { writeUsageEvent } from './usage-avro-writer';

const avsc = Type.forSchema(JSON.parse(readSchemaFile('usage-event.avsc')));

function record(e: UsageEvent, receivedAt: number) {
  return {
    id: e.id,
    source: e.source,
    type: e.type,
    time: e.time,
    org: e.org,
    app: e.app,
    resource: e.resource,
    region: e.region,
    quantity: e.quantity,
    sku: e.sku,
    size: e.size,
    gpu: e.gpu,
    memory_mb: e.memoryMb,
    received_at: receivedAt,
  };
}

// Any text (lone surrogates too: both write them as U+FFFD), long enough to need 2- and 3-byte length prefixes.
const text = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: 'grapheme', minLength: 20, maxLength: 3000 }),
);
// avsc takes longs within ±(2^53 - 2); the timestamps of events are far inside that.
const SAFE = 9007199254740990;
const long = fc.oneof(
  fc.integer(),
  fc.integer({ min: -SAFE, max: SAFE }),
  fc.constantFrom(0, -1, 2 ** 30, -(2 ** 30) - 1, 2 ** 31, -(2 ** 31), SAFE, -SAFE),
);
const event: fc.Arbitrary<[UsageEvent, number]> = fc.tuple(
  fc.record({
    id: text,
    source: text,
    type: text,
    time: long,
    org: text.map(asValidatedOrg),
    app: text,
    resource: text,
    region: text,
    quantity: text,
    sku: text,
    size: fc.option(text),
    gpu: fc.option(text),
    memoryMb: fc.option(long),
  }),
  long,
);

describe('hand-written Avro writer of the usage event', () => {
  it('writes the bytes avsc writes, on random events', () => {
    fc.assert(
      fc.property(event, ([e, receivedAt]) => {
        expect(writeUsageEvent(e, receivedAt).equals(avsc.toBuffer(record(e, receivedAt)))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes what avsc decodes back to the same record', () => {
    fc.assert(
      fc.property(event, ([e, receivedAt]) => {
        const back = avsc.fromBuffer(writeUsageEvent(e, receivedAt));
        expect(avsc.toBuffer(back).equals(avsc.toBuffer(record(e, receivedAt)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a typical event as avsc does, and each buffer is its own', () => {
    const e: UsageEvent = {
      id: 'm_00a1/run/493000',
      source: 'host/ord-01',
      type: 'machine.runtime',
      time: Date.UTC(2026, 10, 21, 10, 59, 59),
      org: asValidatedOrg('acme'),
      app: 'web',
      resource: 'm_00a1',
      region: 'ord',
      quantity: '3600',
      sku: 'machine.runtime/shared-cpu-1x',
      size: 'shared-cpu-1x',
      gpu: null,
      memoryMb: 256,
    };
    const a = writeUsageEvent(e, Date.UTC(2026, 10, 21, 11));
    const b = writeUsageEvent({ ...e, id: 'other' }, 0);
    expect(a).toEqual(avsc.toBuffer(record(e, Date.UTC(2026, 10, 21, 11))));
    expect(b).toEqual(avsc.toBuffer(record({ ...e, id: 'other' }, 0)));
  });
});
