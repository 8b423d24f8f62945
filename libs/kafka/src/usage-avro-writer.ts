import type { UsageEvent } from '@metering/catalog';

/**
 * The Avro binary of `schemas/usage-event.avsc` written by hand: the collector encodes every
 * event it accepts, and avsc's generic `toBuffer` was about a tenth of its CPU. The bytes are
 * those avsc writes for the schema (`usage-avro-writer.unit.spec.ts` compares both on random
 * events and decodes ours with avsc), so readers, rebuilds and verify see no difference. A change
 * to the schema must change this writer too: that test fails until it does.
 *
 * Avro binary: a long is a zig-zag varint; a string is its UTF-8 length as a long, then the
 * bytes; a union is the branch index as a long, then the value; fields in schema order.
 */
const SLAB = 256 * 1024;
// Events are written one after another into a slab and handed out as views of it (no copy); a
// slab that has no room left for the next event is left to the views that hold it.
let slab = Buffer.allocUnsafe(SLAB);
let used = 0;

/** Bytes a zig-zag varint of the non-negative `z` takes. */
function varintSize(z: number): number {
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, z: number): number {
  if (z < 0x80000000) {
    while (z >= 0x80) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
  } else {
    // Beyond 31 bits (a timestamp in milliseconds): arithmetic, exact below 2^53.
    while (z >= 0x80) {
      buf[pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
  }
  buf[pos++] = z;
  return pos;
}

function writeLong(buf: Buffer, pos: number, n: number): number {
  return writeVarint(buf, pos, n >= 0 ? n * 2 : -n * 2 - 1);
}

/** The length first, then the bytes. */
function writeString(buf: Buffer, pos: number, s: string): number {
  const len = s.length;
  // Short ASCII (every id, slug, code and SKU of the catalog): byte by byte, cheaper than a call into UTF-8 encoding.
  if (len < 64) {
    let p = pos + 1;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i === len) {
      buf[pos] = len * 2;
      return p;
    }
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: guess the length prefix's size from that bound, move the bytes if it was wrong.
  const guess = varintSize(len * 6);
  const n = buf.write(s, pos + guess, 'utf8');
  const size = varintSize(n * 2);
  if (size !== guess) buf.copyWithin(pos + size, pos + guess, pos + guess + n);
  writeVarint(buf, pos, n * 2);
  return pos + size + n;
}

function writeOptionalString(buf: Buffer, pos: number, s: string | null): number {
  if (s === null) {
    buf[pos] = 0;
    return pos + 1;
  }
  buf[pos] = 2;
  return writeString(buf, pos + 1, s);
}

/** The most bytes an event can take: every string at 3 bytes a unit, with its prefix, and the longs. */
function bound(e: UsageEvent): number {
  const chars =
    e.id.length +
    e.source.length +
    e.type.length +
    e.org.length +
    e.app.length +
    e.resource.length +
    e.region.length +
    e.quantity.length +
    e.sku.length +
    (e.size?.length ?? 0) +
    (e.gpu?.length ?? 0);
  return chars * 3 + 12 * 10 + 4 * 10;
}

export function writeUsageEvent(e: UsageEvent, receivedAt: number): Buffer {
  const need = bound(e);
  if (used + need > slab.length) {
    slab = Buffer.allocUnsafe(Math.max(SLAB, need));
    used = 0;
  }
  const b = slab;
  const start = used;
  let p = writeString(b, start, e.id);
  p = writeString(b, p, e.source);
  p = writeString(b, p, e.type);
  p = writeLong(b, p, e.time);
  p = writeString(b, p, e.org);
  p = writeString(b, p, e.app);
  p = writeString(b, p, e.resource);
  p = writeString(b, p, e.region);
  p = writeString(b, p, e.quantity);
  p = writeString(b, p, e.sku);
  p = writeOptionalString(b, p, e.size);
  p = writeOptionalString(b, p, e.gpu);
  if (e.memoryMb === null) b[p++] = 0;
  else {
    b[p++] = 2;
    p = writeLong(b, p, e.memoryMb);
  }
  p = writeLong(b, p, receivedAt);
  used = p;
  return b.subarray(start, p);
}
