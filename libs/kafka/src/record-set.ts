import type { IHeaders } from 'kafkajs';
import { codecName, decompressRecords } from './compression';
import { crc32c } from './crc32c';

/** A record as it is handed on whole (to the dead-letter topic, say). */
export interface BatchMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/**
 * The records of one partition batch, in offset order, read by index. The fold reads only the
 * offset, value and schema header of each; the whole record is made on demand (for poison).
 */
export interface RecordSet {
  readonly length: number;
  /** Exact: offsets stay far below 2^53. */
  offset(i: number): number;
  value(i: number): Buffer | null;
  /** The value of the record's `schema` header, if it has one. */
  schemaHeader(i: number): Buffer | string | undefined;
  message(i: number): BatchMessage;
  /** Whole batches that could not be read, to set aside; their offsets are passed over. */
  readonly unreadable?: readonly UnreadableBatch[];
}

/** A record batch Kafka sent that cannot be read (a bad checksum, an unknown format or codec). */
export interface UnreadableBatch {
  baseOffset: number;
  lastOffset: number;
  reason: string;
  /** The batch as it came, header included. */
  bytes: Buffer;
}

/** Records as kafkajs hands them over (the replays of rebuild and verify). */
export function messageRecords(messages: readonly BatchMessage[]): RecordSet {
  return {
    length: messages.length,
    offset: (i) => Number(messages[i]!.offset),
    value: (i) => messages[i]!.value,
    schemaHeader: (i) => {
      const h = messages[i]!.headers?.['schema'];
      return Array.isArray(h) ? undefined : h;
    },
    message: (i) => messages[i]!,
  };
}

/** A record set Kafka sent that cannot be read: a bad checksum, an unknown format or codec. */
export class CorruptRecordsError extends Error {}

export interface ParsedRecords {
  records: RecordSet;
  /** Past the last whole record batch read (records below `from`, control and aborted ones included). */
  nextOffset: number;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const BATCH_HEADER = 61; // baseOffset .. recordCount
const LOG_OVERHEAD = 12; // baseOffset and batchLength
const CRC_FROM = 21; // the checksum covers attributes to the end
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const SCHEMA_KEY = Buffer.from('schema');

/**
 * Reads a fetch response's record bytes (magic 2 record batches) into columns of positions
 * into those bytes: no object per record. Records below `from` are skipped (a batch is sent
 * whole even when the fetch starts inside it), control records and those of aborted
 * transactions are dropped, and a batch cut off at the end of the response is left for the
 * next fetch. Each batch's CRC-32C is checked. Every codec Kafka has is read (none, gzip, snappy,
 * lz4, zstd). A batch that cannot be read (bad checksum, another magic, an unknown codec, bytes
 * that do not decompress or overrun) is not thrown: it goes into `unreadable` with its reason, so
 * that its owner can set it aside and the partition goes on past it instead of stalling.
 */
export function parseRecordBatches(
  bytes: Buffer,
  from: number,
  aborted: readonly AbortedTransaction[] = [],
): ParsedRecords {
  const set = new ColumnRecordSet(countRecords(bytes));
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  let nextOffset = from;
  let pos = 0;
  while (pos + LOG_OVERHEAD <= bytes.length) {
    const end = pos + LOG_OVERHEAD + bytes.readInt32BE(pos + 8);
    if (end > bytes.length || end - pos < BATCH_HEADER) break;
    const baseOffset = Number(bytes.readBigInt64BE(pos));
    const lastOffset = baseOffset + bytes.readInt32BE(pos + 23);
    const before = set.length;
    try {
      readBatch(set, bytes, pos, end, baseOffset, lastOffset, from, pending, abortedProducers);
    } catch (e) {
      set.length = before; // a batch is read whole or not at all
      if (lastOffset >= from)
        set.unreadable.push({
          baseOffset,
          lastOffset,
          reason: `record batch at offset ${baseOffset}: ${e instanceof Error ? e.message : String(e)}`,
          bytes: Buffer.from(bytes.subarray(pos, end)),
        });
    }
    nextOffset = Math.max(nextOffset, lastOffset + 1);
    pos = end;
  }
  return { records: set, nextOffset };
}

function readBatch(
  set: ColumnRecordSet,
  bytes: Buffer,
  pos: number,
  end: number,
  baseOffset: number,
  lastOffset: number,
  from: number,
  pending: AbortedTransaction[],
  abortedProducers: Set<bigint>,
): void {
  const magic = bytes.readInt8(pos + 16);
  if (magic !== 2) throw new CorruptRecordsError(`magic ${magic}; only magic 2 is read`);
  if (bytes.readUInt32BE(pos + 17) !== crc32c(bytes.subarray(pos + CRC_FROM, end))) {
    throw new CorruptRecordsError('fails its CRC-32C check');
  }
  const attributes = bytes.readInt16BE(pos + 21);
  const producerId = bytes.readBigInt64BE(pos + 43);
  while (pending.length > 0 && pending[0]!.firstOffset <= BigInt(lastOffset))
    abortedProducers.add(pending.shift()!.producerId);
  if (attributes & CONTROL) {
    // A transaction marker: the producer's later batches are not of the aborted transaction.
    abortedProducers.delete(producerId);
    return;
  }
  if ((attributes & TRANSACTIONAL && abortedProducers.has(producerId)) || lastOffset < from) return;
  const codec = attributes & 0x07;
  if (codec === 0) {
    set.readRecords(bytes, pos + BATCH_HEADER, end, baseOffset, from);
    return;
  }
  let body: Buffer;
  try {
    body = decompressRecords(codec, bytes.subarray(pos + BATCH_HEADER, end));
  } catch (e) {
    throw new CorruptRecordsError(`${codecName(codec)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  set.readRecords(body, 0, body.length, baseOffset, from);
}

/** The records the whole batches in `bytes` declare: the columns' capacity. */
function countRecords(bytes: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + BATCH_HEADER <= bytes.length;) {
    const end = pos + LOG_OVERHEAD + bytes.readInt32BE(pos + 8);
    if (end > bytes.length) break;
    n += Math.max(0, bytes.readInt32BE(pos + 57));
    pos = end;
  }
  return n;
}

class ColumnRecordSet implements RecordSet {
  length = 0;
  readonly unreadable: UnreadableBatch[] = [];
  private readonly offsets: Float64Array;
  /** Per record: which buffer, and where its key, value, headers and schema header value start and end (-1: null). */
  private readonly source: Uint16Array;
  private readonly at: Int32Array;
  private readonly buffers: Buffer[] = [];
  private static readonly FIELDS = 7; // key start/end, value start/end, headers start, schema start/end

  constructor(capacity: number) {
    this.offsets = new Float64Array(capacity);
    this.source = new Uint16Array(capacity);
    this.at = new Int32Array(capacity * ColumnRecordSet.FIELDS);
  }

  readRecords(buf: Buffer, pos: number, end: number, baseOffset: number, from: number): void {
    if (this.buffers[this.buffers.length - 1] !== buf) this.buffers.push(buf);
    const source = this.buffers.length - 1;
    const r = new VarintReader(buf, pos);
    while (r.pos < end) {
      const length = r.varint();
      const recordEnd = r.pos + length;
      if (length < 0 || recordEnd > end)
        throw new CorruptRecordsError(`record at offset ${baseOffset}+ overruns its batch`);
      r.pos += 1; // attributes
      r.skipVarint(); // timestamp delta
      const offset = baseOffset + r.varint();
      if (offset < from) {
        r.pos = recordEnd;
        continue;
      }
      if (this.length >= this.offsets.length)
        throw new CorruptRecordsError(`record batch at offset ${baseOffset} holds more records than it declares`);
      const i = this.length++;
      const f = i * ColumnRecordSet.FIELDS;
      this.offsets[i] = offset;
      this.source[i] = source;
      r.bytes(this.at, f);
      r.bytes(this.at, f + 2);
      this.at[f + 4] = r.pos;
      this.at[f + 5] = -1;
      this.at[f + 6] = -1;
      for (let h = r.varint(); h > 0; h--) {
        const keyLength = r.varint();
        const isSchema = keyLength === SCHEMA_KEY.length && SCHEMA_KEY.compare(buf, r.pos, r.pos + keyLength) === 0;
        r.pos += keyLength;
        if (isSchema) r.bytes(this.at, f + 5);
        else r.skipBytes();
      }
      if (r.pos !== recordEnd)
        throw new CorruptRecordsError(`record at offset ${offset} does not end where its length says`);
    }
  }

  offset(i: number): number {
    return this.offsets[i]!;
  }

  value(i: number): Buffer | null {
    return this.slice(i, 2);
  }

  schemaHeader(i: number): Buffer | undefined {
    return this.slice(i, 5) ?? undefined;
  }

  message(i: number): BatchMessage {
    const buf = this.buffers[this.source[i]!]!;
    const r = new VarintReader(buf, this.at[i * ColumnRecordSet.FIELDS + 4]!);
    const headers: IHeaders = {};
    for (let h = r.varint(); h > 0; h--) {
      const keyLength = r.varint();
      const key = buf.toString('utf8', r.pos, r.pos + keyLength);
      r.pos += keyLength;
      const valueLength = r.varint();
      headers[key] = valueLength < 0 ? undefined : Buffer.from(buf.subarray(r.pos, r.pos + valueLength));
      if (valueLength > 0) r.pos += valueLength;
    }
    const copy = (b: Buffer | null) => (b ? Buffer.from(b) : null);
    return { offset: String(this.offsets[i]), key: copy(this.slice(i, 0)), value: copy(this.slice(i, 2)), headers };
  }

  private slice(i: number, field: number): Buffer | null {
    const f = i * ColumnRecordSet.FIELDS + field;
    const start = this.at[f]!;
    return start < 0 ? null : this.buffers[this.source[i]!]!.subarray(start, this.at[f + 1]!);
  }
}

/** Kafka's zigzag varints, read in place. */
class VarintReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(): number {
    let raw = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      if (shift === 28) {
        raw += (b & 0x0f) * 2 ** 28;
        if (b & 0x80) throw new CorruptRecordsError('varint longer than 5 bytes');
        break;
      }
      raw |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    raw >>>= 0;
    return raw & 1 ? -((raw + 1) / 2) : raw / 2;
  }

  skipVarint(): void {
    while (this.buf[this.pos++]! & 0x80);
  }

  /** Writes the start and end of a length-prefixed byte string into out[at], out[at+1] (-1, -1 for null). */
  bytes(out: Int32Array, at: number): void {
    const length = this.varint();
    if (length < 0) {
      out[at] = -1;
      out[at + 1] = -1;
      return;
    }
    out[at] = this.pos;
    out[at + 1] = this.pos + length;
    this.pos += length;
  }

  skipBytes(): void {
    const length = this.varint();
    if (length > 0) this.pos += length;
  }
}
