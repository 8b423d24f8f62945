/**
 * The deduplication key of an event, 16 bytes (stored as a uuid):
 *   bytes 0-3   the hour of the event's time (hours since 1970, big-endian), then
 *   bytes 4-15  the first 12 bytes of MurmurHash3 x86 128-bit (seed 0) of the UTF-8 bytes of
 *               `source`, a zero byte, and the UTF-8 bytes of `id`.
 * So two events are one when they have the same (source, id) and the same UTC hour: a re-send
 * is the same event with the same time, and the hour is the projections' own grain.
 *
 * Why this shape. Sixteen bytes instead of two text columns of up to 384 characters keep the
 * seen-id index small and its comparisons a memcmp, and the aggregator hashes the bytes straight
 * out of the Kafka record. The hour in front makes the index grow at its end, like the log it
 * mirrors: inserts touch the few pages of the current hours instead of random pages all over a
 * day's index, which once it outgrows Postgres' buffers turned every insert into a page write
 * (measured: 3.9 µs a row rising to 7.7 µs by 1.8 million rows, against a flat 3.6 µs).
 *
 * Why a 96-bit non-cryptographic hash is enough. Accidents: for n distinct ids in one hour the
 * chance that any two share a key is at most n²/2⁹⁷; at a billion events a day (4·10⁷ an hour)
 * that is 10⁻¹⁴ per hour, 10⁻¹⁰ per year. Malice buys nothing: (source, id) is chosen by the
 * host, and a host that wanted an event dropped as a duplicate could simply send that event's
 * (source, id) itself; a crafted collision gives it no power it does not already have. A zero
 * byte cannot occur in either field (the catalog refuses control characters), so the pair is
 * encoded unambiguously.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** MurmurHash3_x86_128 (seed 0) of b[start..end), its four words written to out[at..at+3]. */
export function murmur3x86128(b: Uint8Array, start: number, end: number, out: Int32Array, at: number): void {
  const len = end - start;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const bodyEnd = start + (len & ~15);
  for (let i = start; i < bodyEnd; i += 16) {
    let k1 = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    let k2 = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
    let k3 = b[i + 8]! | (b[i + 9]! << 8) | (b[i + 10]! << 16) | (b[i + 11]! << 24);
    let k4 = b[i + 12]! | (b[i + 13]! << 8) | (b[i + 14]! << 16) | (b[i + 15]! << 24);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail, 0..15 bytes: the reference's fall-through switch, byte by byte.
  const rest = len & 15;
  const t = bodyEnd;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  if (rest > 12) {
    for (let j = Math.min(rest, 16) - 1; j >= 12; j--) k4 ^= b[t + j]! << (8 * (j - 12));
    h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  }
  if (rest > 8) {
    for (let j = Math.min(rest, 12) - 1; j >= 8; j--) k3 ^= b[t + j]! << (8 * (j - 8));
    h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  }
  if (rest > 4) {
    for (let j = Math.min(rest, 8) - 1; j >= 4; j--) k2 ^= b[t + j]! << (8 * (j - 4));
    h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  }
  if (rest > 0) {
    for (let j = Math.min(rest, 4) - 1; j >= 0; j--) k1 ^= b[t + j]! << (8 * j);
    h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out[at] = h1;
  out[at + 1] = (h2 + h1) | 0;
  out[at + 2] = (h3 + h1) | 0;
  out[at + 3] = (h4 + h1) | 0;
}

const HOUR_MS = 3_600_000;
const encoder = new TextEncoder();
const hash = new Int32Array(4);
let scratch = new Uint8Array(1024);

/** Hours since 1970 of the UTC hour that contains `time` (epoch ms). */
export function epochHour(time: number): number {
  return Math.floor(time / HOUR_MS);
}

/**
 * Writes a key as four words to out[at..at+3]: the hour, then the first three words of the
 * hash of `bytes[start..end)` (source, zero, id). Stored, word 0 is big-endian (so keys sort
 * by hour) and the hash words are little-endian (MurmurHash3's own byte order).
 */
export function writeKeyWords(
  hour: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Int32Array,
  at: number,
): void {
  murmur3x86128(bytes, start, end, hash, 0);
  out[at] = hour;
  out[at + 1] = hash[0]!;
  out[at + 2] = hash[1]!;
  out[at + 3] = hash[2]!;
}

/** Writes the key of the event (source, id, time) to out[at..at+3]. */
export function writeEventKey(source: string, id: string, time: number, out: Int32Array, at: number): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const max = 3 * (source.length + id.length) + 1;
  if (max > scratch.length) scratch = new Uint8Array(max * 2);
  const s = encoder.encodeInto(source, scratch).written;
  scratch[s] = 0;
  const i = encoder.encodeInto(id, scratch.subarray(s + 1)).written;
  writeKeyWords(epochHour(time), scratch, 0, s + 1 + i, out, at);
}

/** The key as 32 hex digits of its stored bytes. */
export function eventKeyHex(source: string, id: string, time: number): string {
  const words = new Int32Array(4);
  writeEventKey(source, id, time, words, 0);
  const byte = (w: number, b: number) => ((w >>> (8 * b)) & 0xff).toString(16).padStart(2, '0');
  let hex = '';
  for (let b = 3; b >= 0; b--) hex += byte(words[0]!, b);
  for (let w = 1; w < 4; w++) for (let b = 0; b < 4; b++) hex += byte(words[w]!, b);
  return hex;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of the UTC day that contains `time` (epoch ms). */
export function epochDay(time: number): number {
  return Math.floor(time / DAY_MS);
}
