import { gzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { writeRecordBatch } from './record-batch';
import { CorruptRecordsError, messageRecords, parseRecordBatches, RecordSet } from './record-set';
import { WireWriter } from './wire';

const SCHEMA = Buffer.from('usage-event-v1');
const HEADER = 61;

interface Spec {
  base: number;
  values: string[];
  producerId?: bigint;
  attributes?: number;
  gzip?: boolean;
}

/** A record batch as a broker stores it: base offset set, attributes and CRC as given. */
function batch({ base, values, producerId = 7n, attributes = 0, gzip = false }: Spec): Buffer {
  const w = new WireWriter();
  const records = values.map((v) => ({
    key: Buffer.from(`k${v}`),
    value: Buffer.from(v),
    headers: [
      { key: Buffer.from('other'), value: Buffer.from('x') },
      { key: Buffer.from('schema'), value: SCHEMA },
    ],
  }));
  writeRecordBatch(w, { producerId, producerEpoch: 0, baseSequence: 0 }, 1_700_000_000_000, records);
  let b = Buffer.from(w.bytes());
  if (gzip) b = Buffer.concat([b.subarray(0, HEADER), gzipSync(b.subarray(HEADER))]);
  b.writeBigInt64BE(BigInt(base), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(attributes | (gzip ? 1 : 0), 21);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

const values = (r: RecordSet) => Array.from({ length: r.length }, (_, i) => [r.offset(i), r.value(i)!.toString()]);

describe('parseRecordBatches', () => {
  it('given two batches, then every record with its offset, value and schema header, and the offset after them', () => {
    const { records, nextOffset } = parseRecordBatches(
      Buffer.concat([batch({ base: 10, values: ['a', 'b'] }), batch({ base: 12, values: ['c'] })]),
      10,
    );
    expect(values(records)).toEqual([
      [10, 'a'],
      [11, 'b'],
      [12, 'c'],
    ]);
    expect(records.schemaHeader(2)).toEqual(SCHEMA);
    expect(nextOffset).toBe(13);
  });

  it('given a fetch that starts inside a batch, then only the records from that offset', () => {
    const { records, nextOffset } = parseRecordBatches(batch({ base: 10, values: ['a', 'b', 'c'] }), 11);
    expect(values(records)).toEqual([
      [11, 'b'],
      [12, 'c'],
    ]);
    expect(nextOffset).toBe(13);
  });

  it('given a batch cut off at the end of the response, then it is left for the next fetch', () => {
    const whole = batch({ base: 0, values: ['a'] });
    const cut = batch({ base: 1, values: ['b', 'c'] });
    const { records, nextOffset } = parseRecordBatches(Buffer.concat([whole, cut.subarray(0, cut.length - 5)]), 0);
    expect(values(records)).toEqual([[0, 'a']]);
    expect(nextOffset).toBe(1);
    expect(parseRecordBatches(cut.subarray(0, 30), 1).nextOffset).toBe(1);
  });

  it('given a corrupted byte, then the CRC check refuses the batch', () => {
    const b = batch({ base: 0, values: ['abc'] });
    b[b.length - 20] ^= 0xff;
    expect(() => parseRecordBatches(b, 0)).toThrow(CorruptRecordsError);
  });

  it('given a gzip batch, then its records as from an uncompressed one', () => {
    const { records, nextOffset } = parseRecordBatches(batch({ base: 5, values: ['x', 'y'], gzip: true }), 5);
    expect(values(records)).toEqual([
      [5, 'x'],
      [6, 'y'],
    ]);
    expect(nextOffset).toBe(7);
  });

  it('given another codec, then a clear error', () => {
    const b = batch({ base: 0, values: ['a'] });
    b.writeInt16BE(3, 21); // lz4
    b.writeUInt32BE(crc32c(b.subarray(21)), 17);
    expect(() => parseRecordBatches(b, 0)).toThrow(/compression codec 3/);
  });

  it('given an aborted transaction and its markers, then neither its records nor the markers, and the offset past them', () => {
    const TX = 0x10;
    const CONTROL = 0x20;
    const bytes = Buffer.concat([
      batch({ base: 0, values: ['kept'], producerId: 1n }),
      batch({ base: 1, values: ['aborted-1', 'aborted-2'], producerId: 2n, attributes: TX }),
      batch({ base: 3, values: ['committed'], producerId: 3n, attributes: TX }),
      batch({ base: 4, values: ['marker'], producerId: 2n, attributes: TX | CONTROL }),
      batch({ base: 5, values: ['marker'], producerId: 3n, attributes: TX | CONTROL }),
      batch({ base: 6, values: ['after'], producerId: 2n, attributes: TX }),
    ]);
    const { records, nextOffset } = parseRecordBatches(bytes, 0, [{ producerId: 2n, firstOffset: 1n }]);
    expect(values(records)).toEqual([
      [0, 'kept'],
      [3, 'committed'],
      [6, 'after'],
    ]);
    expect(nextOffset).toBe(7);
  });

  it('given only a control batch, then no records and the offset past it', () => {
    const { records, nextOffset } = parseRecordBatches(batch({ base: 9, values: ['m'], attributes: 0x30 }), 9);
    expect(records.length).toBe(0);
    expect(nextOffset).toBe(10);
  });

  it('makes the whole record on demand, with copies that outlive the response', () => {
    const bytes = batch({ base: 3, values: ['v'] });
    const m = parseRecordBatches(bytes, 3).records.message(0);
    bytes.fill(0);
    expect(m).toEqual({
      offset: '3',
      key: Buffer.from('kv'),
      value: Buffer.from('v'),
      headers: { other: Buffer.from('x'), schema: SCHEMA },
    });
  });
});

describe('messageRecords', () => {
  it('reads kafkajs messages through the same interface', () => {
    const r = messageRecords([{ offset: '4', key: null, value: Buffer.from('a'), headers: { schema: SCHEMA } }]);
    expect(values(r)).toEqual([[4, 'a']]);
    expect(r.schemaHeader(0)).toEqual(SCHEMA);
    expect(r.message(0).offset).toBe('4');
  });
});
