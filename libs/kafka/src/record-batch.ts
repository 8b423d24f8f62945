import { crc32c } from './crc32c';
import { varintSize, WireWriter } from './wire';

/** One record to produce. Headers are shared by reference: every usage event carries the same one. */
export interface OutRecord {
  key: Buffer;
  value: Buffer;
  headers: readonly RecordHeader[];
}

export interface RecordHeader {
  key: Buffer;
  value: Buffer;
}

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  /** Sequence number of the first record; the broker drops a batch whose sequences it already has. */
  baseSequence: number;
}

const MAGIC = 2;
// The broker assigns the leader epoch; producers send "none", as the Java client does.
const NO_PARTITION_LEADER_EPOCH = -1;
// Offset of the attributes field, where the CRC's coverage starts (after baseOffset,
// batchLength, partitionLeaderEpoch, magic and the CRC itself).
const CRC_START = 8 + 4 + 4 + 1 + 4;

/**
 * Writes one uncompressed record batch (magic 2) into `w`: the unit Kafka stores, checksums and
 * deduplicates. All records share the batch timestamp (CreateTime of the send), so each record's
 * timestamp delta is 0 and its offset delta is its index.
 */
export function writeRecordBatch(
  w: WireWriter,
  id: BatchIdentity,
  timestamp: number,
  records: readonly OutRecord[],
): void {
  const start = w.length;
  w.int64(0n); // base offset: assigned by the broker
  const lengthAt = w.reserveInt32();
  w.int32(NO_PARTITION_LEADER_EPOCH).int8(MAGIC);
  const crcAt = w.reserveInt32();
  const ts = BigInt(timestamp);
  w.int16(0) // attributes: no compression, CreateTime, not transactional, not control
    .int32(records.length - 1)
    .int64(ts)
    .int64(ts)
    .int64(id.producerId)
    .int16(id.producerEpoch)
    .int32(id.baseSequence)
    .int32(records.length);
  for (let i = 0; i < records.length; i++) writeRecord(w, i, records[i]!);
  w.patchInt32(lengthAt, w.length - lengthAt - 4);
  w.patchUInt32(crcAt, crc32c(w.view(start + CRC_START)));
}

function writeRecord(w: WireWriter, offsetDelta: number, r: OutRecord): void {
  let headersSize = varintSize(r.headers.length);
  for (const h of r.headers)
    headersSize += varintSize(h.key.length) + h.key.length + varintSize(h.value.length) + h.value.length;
  const bodySize =
    1 + // attributes
    1 + // timestamp delta 0
    varintSize(offsetDelta) +
    varintSize(r.key.length) +
    r.key.length +
    varintSize(r.value.length) +
    r.value.length +
    headersSize;
  w.ensure(5 + bodySize);
  w.varint(bodySize)
    .int8(0)
    .varint(0)
    .varint(offsetDelta)
    .varintBytes(r.key)
    .varintBytes(r.value)
    .varint(r.headers.length);
  for (const h of r.headers) w.varintBytes(h.key).varintBytes(h.value);
}
