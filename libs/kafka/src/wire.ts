/**
 * The primitive types of the Kafka protocol (big-endian integers, length-prefixed strings and
 * bytes, zig-zag varints), written into one growing buffer so that a produce request of
 * thousands of records is built without a per-record allocation.
 */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy: do not write again after taking it). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A view of [from, to) of what was written, e.g. to checksum part of it. */
  view(from: number, to = this.pos): Buffer {
    return this.buf.subarray(from, to);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Reserves an int32 to be filled in later (a length known only once its content is written). */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  patchUInt32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /** A zig-zag varint (Kafka's "varint"), for values that fit in 32 bits. */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  private uvarint(u: number): this {
    this.ensure(5);
    while (u > 0x7f) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
    return this;
  }

  /** Raw bytes, no length prefix. */
  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A varint length, then the bytes (record keys, values, headers). */
  varintBytes(b: Buffer): this {
    return this.varint(b.length).raw(b);
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }
}

/** Bytes a zig-zag varint of v takes. */
export function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u > 0x7f) {
    u >>>= 7;
    n++;
  }
  return n;
}

export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new RangeError('unexpected null string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Int32-length bytes as a view into the response (not copied); null for -1. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    if (this.pos + n > this.buf.length) throw new RangeError('bytes run past the end of the response');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** An array of `read()`; a null array (-1) reads as empty. */
  array<T>(read: (r: WireReader) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }
}
