import { asValidatedOrg } from '@metering/domain';
import { skuFor, UsageEvent } from '@metering/catalog';
import { BatchMessage, messageRecords } from './record-set';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';
import { decodeBatch, foldDecoder } from './decode-batch';

const T = Date.UTC(2026, 10, 21, 10, 15);
const event = (over: Partial<UsageEvent> = {}): UsageEvent => ({
  id: 'e1',
  source: 'host/ord-01',
  type: 'machine.runtime',
  time: T,
  org: asValidatedOrg('acme'),
  app: 'web',
  resource: 'm_1',
  region: 'ord',
  quantity: '60',
  sku: skuFor('machine.runtime', { size: 'shared-cpu-1x' }, 'ord'),
  size: 'shared-cpu-1x',
  gpu: null,
  memoryMb: null,
  ...over,
});
const message = (offset: number, value: Buffer | null, schema = true): BatchMessage => ({
  offset: String(offset),
  key: Buffer.from('acme'),
  value,
  headers: schema ? { schema: Buffer.from(USAGE_EVENT_SCHEMA) } : {},
});

describe('decodeBatch', () => {
  it('given good records and poison, then the events as columns with their offsets, and each poison with its reason', () => {
    const { columns, offsets, poison } = decodeBatch(
      messageRecords([
        message(10, encodeUsageEvent(event(), T)),
        message(11, null),
        message(12, Buffer.from('not avro at all')),
        message(13, encodeUsageEvent(event({ sku: 'machine.runtime/huge' }), T)),
        message(14, encodeUsageEvent(event({ region: 'atlantis' }), T)),
        message(15, encodeUsageEvent(event({ quantity: '1.50' }), T)),
        message(16, encodeUsageEvent(event({ quantity: '0.0000000001' }), T)),
        message(17, encodeUsageEvent(event({ time: Date.UTC(1999, 0, 1) }), T)),
        message(18, encodeUsageEvent(event({ id: 'e2', quantity: '12345678901234567890' }), T)), // big, slow path
        message(19, encodeUsageEvent(event({ id: 'e3' }), T), false), // no schema header: slow path
      ]),
      foldDecoder(),
    );
    expect(columns.length).toBe(3);
    expect(Array.from(offsets)).toEqual([10, 18, 19]);
    expect(poison.map((p) => [p.message.offset, p.reason.replace(/: .*$/s, ':')])).toEqual([
      ['11', 'empty value'],
      ['12', 'not a UsageEvent:'],
      ['13', "unknown sku 'machine.runtime/huge'"],
      ['14', "unknown region 'atlantis'"],
      ['15', "quantity '1.50' is not a canonical decimal of at most 9 decimal places"],
      ['16', "quantity '0.0000000001' is not a canonical decimal of at most 9 decimal places"],
      ['17', `time ${Date.UTC(1999, 0, 1)} is not between 2000 and 2200`],
    ]);
  });
});

describe('decodeBatch of an unreadable batch', () => {
  it('given a batch the fetcher could not read, then one poison message holding its bytes and offsets, before the rest', () => {
    const records = messageRecords([message(20, encodeUsageEvent(event(), T))]);
    const bytes = Buffer.from('the batch as it came');
    const { columns, poison } = decodeBatch(
      { ...records, unreadable: [{ baseOffset: 10, lastOffset: 19, reason: 'record batch at offset 10: x', bytes }] },
      foldDecoder(),
    );
    expect(columns.length).toBe(1);
    expect(poison).toEqual([
      {
        message: { offset: '10', key: null, value: bytes, headers: { 'dlq.offsets': '10..19' } },
        reason: 'record batch at offset 10: x',
      },
    ]);
  });
});
