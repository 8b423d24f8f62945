import { gzipSync, zstdCompressSync } from 'node:zlib';
import { compress as lz4Frame } from 'lz4js';
import { compress as snappyRaw } from 'snappyjs';
import { crc32c } from './crc32c';
import { writeRecordBatch } from './record-batch';
import { messageRecords, parseRecordBatches, RecordSet } from './record-set';
import { WireWriter } from './wire';

const SCHEMA = Buffer.from('usage-event-v1');
const HEADER = 61;

interface Spec {
  base: number;
  values: string[];
  producerId?: bigint;
  attributes?: number;
  compress?: Codec;
}

type Codec = 'gzip' | 'snappy' | 'snappy-stream' | 'lz4' | 'zstd';

/** The Java client's snappy: snappy-java's stream format, records cut into blocks of `block` bytes. */
function snappyStream(raw: Buffer, block = 7): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts = [header];
  for (let at = 0; at < raw.length; at += block) {
    const c = Buffer.from(snappyRaw(raw.subarray(at, at + block)));
    const length = Buffer.alloc(4);
    length.writeInt32BE(c.length);
    parts.push(length, c);
  }
  return Buffer.concat(parts);
}

const COMPRESS: Record<Codec, [number, (b: Buffer) => Buffer]> = {
  gzip: [1, (b) => gzipSync(b)],
  snappy: [2, (b) => Buffer.from(snappyRaw(b))],
  'snappy-stream': [2, (b) => snappyStream(b)],
  lz4: [3, (b) => Buffer.from(lz4Frame(b))],
  zstd: [4, (b) => zstdCompressSync(b)],
};

/** A record batch as a broker stores it: base offset set, attributes and CRC as given. */
function batch({ base, values, producerId = 7n, attributes = 0, compress }: Spec): Buffer {
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
  const [codec, squeeze] = compress ? COMPRESS[compress] : [0, (x: Buffer) => x];
  b = Buffer.concat([b.subarray(0, HEADER), squeeze(b.subarray(HEADER))]);
  b.writeBigInt64BE(BigInt(base), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt16BE(attributes | codec, 21);
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

  it('given a corrupted byte, then the CRC check sets the batch aside whole, and the batches around it are read', () => {
    const bad = batch({ base: 1, values: ['abc', 'def'] });
    bad[bad.length - 20] ^= 0xff;
    const { records, nextOffset } = parseRecordBatches(
      Buffer.concat([batch({ base: 0, values: ['a'] }), bad, batch({ base: 3, values: ['z'] })]),
      0,
    );
    expect(values(records)).toEqual([
      [0, 'a'],
      [3, 'z'],
    ]);
    expect(nextOffset).toBe(4);
    expect(records.unreadable).toEqual([
      { baseOffset: 1, lastOffset: 2, reason: 'record batch at offset 1: fails its CRC-32C check', bytes: bad },
    ]);
  });

  it.each<Codec>(['gzip', 'snappy', 'snappy-stream', 'lz4', 'zstd'])(
    'given a %s batch, then its records as from an uncompressed one',
    (compress) => {
      const { records, nextOffset } = parseRecordBatches(batch({ base: 5, values: ['x', 'y', 'zzzzzz'], compress }), 6);
      expect(values(records)).toEqual([
        [6, 'y'],
        [7, 'zzzzzz'],
      ]);
      expect(records.message(1).headers).toEqual({ other: Buffer.from('x'), schema: SCHEMA });
      expect(nextOffset).toBe(8);
      expect(records.unreadable).toEqual([]);
    },
  );

  it('given a batch whose bytes do not decompress or an unknown codec, then each set aside with its reason, and the offset past them', () => {
    const notZstd = batch({ base: 0, values: ['a'] });
    notZstd.writeInt16BE(4, 21);
    notZstd.writeUInt32BE(crc32c(notZstd.subarray(21)), 17);
    const codec6 = batch({ base: 1, values: ['b'] });
    codec6.writeInt16BE(6, 21);
    codec6.writeUInt32BE(crc32c(codec6.subarray(21)), 17);
    const { records, nextOffset } = parseRecordBatches(Buffer.concat([notZstd, codec6]), 0);
    expect(records.length).toBe(0);
    expect(nextOffset).toBe(2);
    expect(records.unreadable!.map((u) => u.reason)).toEqual([
      expect.stringMatching(/^record batch at offset 0: zstd: zstd does not decompress: /),
      'record batch at offset 1: codec 6: unknown compression codec 6',
    ]);
  });

  it('given a compressed batch whose records overrun, then none of its records are kept', () => {
    const b = batch({ base: 0, values: ['a', 'b'], compress: 'zstd' });
    const raw = batch({ base: 0, values: ['a', 'b'] });
    const cut = Buffer.concat([raw.subarray(0, HEADER), zstdCompressSync(raw.subarray(HEADER, raw.length - 3))]);
    cut.writeInt32BE(cut.length - 12, 8);
    cut.writeInt16BE(4, 21);
    cut.writeUInt32BE(crc32c(cut.subarray(21)), 17);
    const { records } = parseRecordBatches(Buffer.concat([cut, batch({ base: 2, values: ['c'] })]), 0);
    expect(values(records)).toEqual([[2, 'c']]);
    expect(records.unreadable!.map((u) => u.baseOffset)).toEqual([0]);
    expect(parseRecordBatches(b, 0).records.length).toBe(2);
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
