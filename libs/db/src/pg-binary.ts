/**
 * Postgres binary array parameters. node-postgres sends a Buffer parameter in binary format,
 * and a parameter cast to an array type ($1::uuid[]) is then read with that type's receive
 * function: the server parses no text, and we format none. For the tens of thousands of ids
 * a batch records this is measurably cheaper on both sides than '{...}' text arrays.
 */

const DATE_OID = 1082;
const UUID_OID = 2950;
/** Postgres counts dates from 2000-01-01, i.e. 10,957 days after the Unix epoch. */
const PG_EPOCH_DAY = 10_957;
const HEADER = 20;

function header(n: number, elementOid: number, elementSize: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + n * (4 + elementSize));
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(0, 4); // no nulls
  buf.writeInt32BE(elementOid, 8);
  buf.writeInt32BE(n, 12); // length of the one dimension
  buf.writeInt32BE(1, 16); // its lower bound
  return buf;
}

/** A date[] of the given epoch days (days since 1970-01-01), in the order of `pick`. */
export function dateArray(epochDays: Int32Array, pick: ArrayLike<number>): Buffer {
  const buf = header(pick.length, DATE_OID, 4);
  let at = HEADER;
  for (let i = 0; i < pick.length; i++) {
    buf.writeInt32BE(4, at);
    buf.writeInt32BE(epochDays[pick[i]!]! - PG_EPOCH_DAY, at + 4);
    at += 8;
  }
  return buf;
}

/**
 * A uuid[] of 16-byte keys held as four 32-bit words each (key k at words 4k..4k+3), in the
 * order of `pick`: word 0 stored big-endian, words 1-3 little-endian (see event-key.ts).
 */
export function uuidArray(words: Int32Array, pick: ArrayLike<number>): Buffer {
  const buf = header(pick.length, UUID_OID, 16);
  let at = HEADER;
  for (let i = 0; i < pick.length; i++) {
    const k = pick[i]! * 4;
    buf.writeInt32BE(16, at);
    buf.writeInt32BE(words[k]!, at + 4);
    buf.writeInt32LE(words[k + 1]!, at + 8);
    buf.writeInt32LE(words[k + 2]!, at + 12);
    buf.writeInt32LE(words[k + 3]!, at + 16);
    at += 20;
  }
  return buf;
}

const TIMESTAMPTZ_OID = 1184;
/** Postgres counts timestamps in microseconds from 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_POW_32 = 4_294_967_296;

/** A timestamptz[] of epoch milliseconds (whole milliseconds, as the projections' hours are). */
export function timestamptzArray(epochMs: readonly number[]): Buffer {
  const buf = header(epochMs.length, TIMESTAMPTZ_OID, 8);
  let at = HEADER;
  for (const ms of epochMs) {
    // Exact as a double within 285 years of 2000 (2^53 µs); sent as two 32-bit halves.
    const micros = (ms - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_POW_32);
    buf.writeInt32BE(8, at);
    buf.writeInt32BE(high, at + 4);
    buf.writeUInt32BE(micros - high * TWO_POW_32, at + 8);
    at += 12;
  }
  return buf;
}
