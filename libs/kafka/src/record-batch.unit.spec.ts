import { OutRecord, writeRecordBatch } from './record-batch';
import { varintSize, WireWriter } from './wire';

// kafkajs' own encoder, as the reference our bytes must equal (it is what the rest of the
// project's Kafka clients speak, and what the broker has long accepted from this project).
/* eslint-disable @typescript-eslint/no-require-imports */
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const Long = require('kafkajs/src/utils/long');

const header = { key: Buffer.from('schema'), value: Buffer.from('metering.usage.v1.UsageEvent') };

async function kafkajsBatch(
  records: OutRecord[],
  ts: number,
  producerId: bigint,
  epoch: number,
  seq: number,
): Promise<Buffer> {
  const encoded = await RecordBatch({
    firstTimestamp: ts,
    maxTimestamp: ts,
    lastOffsetDelta: records.length - 1,
    producerId: Long.fromString(producerId.toString()),
    producerEpoch: epoch,
    firstSequence: seq,
    partitionLeaderEpoch: -1,
    records: records.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: 0,
        key: r.key,
        value: r.value,
        headers: Object.fromEntries(r.headers.map((h) => [h.key.toString(), h.value])),
      }),
    ),
  });
  // kafkajs frames the batch as int64 offset + length-prefixed bytes: exactly the wire layout.
  return encoded.buffer as Buffer;
}

function ours(records: OutRecord[], ts: number, producerId: bigint, epoch: number, seq: number): Buffer {
  const w = new WireWriter(16);
  writeRecordBatch(w, { producerId, producerEpoch: epoch, baseSequence: seq }, ts, records);
  return Buffer.from(w.bytes());
}

describe('record batch encoding', () => {
  const ts = Date.UTC(2026, 10, 21, 10, 15, 0, 123);

  it('writes the same bytes as kafkajs for one record', async () => {
    const records = [{ key: Buffer.from('acme'), value: Buffer.from([1, 2, 3, 250]), headers: [header] }];
    expect(ours(records, ts, 4242n, 3, 17).toString('hex')).toBe(
      (await kafkajsBatch(records, ts, 4242n, 3, 17)).toString('hex'),
    );
  });

  it('writes the same bytes as kafkajs for many records of varied sizes (multi-byte varints, empty values)', async () => {
    const records: OutRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: Buffer.from(`org-${i % 7}`),
      value: Buffer.alloc((i * 13) % 400, i & 0xff),
      headers: i % 5 === 0 ? [] : [header],
    }));
    expect(
      ours(records, ts, 9_007_199_254_740_993n, 32767, 2_147_483_000).equals(
        await kafkajsBatch(records, ts, 9_007_199_254_740_993n, 32767, 2_147_483_000),
      ),
    ).toBe(true);
  });

  it('grows its buffer from any starting size', () => {
    const records = Array.from({ length: 50 }, () => ({
      key: Buffer.from('k'),
      value: Buffer.alloc(1000, 7),
      headers: [header],
    }));
    const a = ours(records, ts, 1n, 0, 0);
    const w = new WireWriter(1 << 20);
    writeRecordBatch(w, { producerId: 1n, producerEpoch: 0, baseSequence: 0 }, ts, records);
    expect(Buffer.from(w.bytes()).equals(a)).toBe(true);
  });

  it('sizes zig-zag varints as Kafka does', () => {
    const cases: [number, number][] = [
      [0, 1],
      [-1, 1],
      [63, 1],
      [64, 2],
      [-64, 1],
      [-65, 2],
      [8191, 2],
      [8192, 3],
      [2 ** 31 - 1, 5],
      [-(2 ** 31), 5],
    ];
    for (const [v, n] of cases) {
      expect([v, varintSize(v)]).toEqual([v, n]);
      const w = new WireWriter(1);
      w.varint(v);
      expect([v, w.length]).toEqual([v, n]);
    }
  });
});
