import { asValidatedOrg } from '@metering/domain';
import { epochHour, Series, SeriesTable, UsageColumns, writeKeyWords } from '@metering/metering';
import { USAGE_EVENT_SCHEMA } from './usage-codec';

/** What the caller accepts on the fast path; anything else it looks at closely itself. */
export interface FoldAcceptance {
  series(s: Series): boolean;
  time(epochMs: number): boolean;
}

const SCHEMA = Buffer.from(USAGE_EVENT_SCHEMA);
const FAST_WHOLE_DIGITS = 15;
const FRACTION_DIGITS = 9;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/**
 * Reads usage.events.v1 records written with the v1 schema straight into a batch's columns,
 * without materializing an event: the dedup key is hashed from the id and source bytes in
 * the record, the strings of a series are decoded once (the series table is kept from batch
 * to batch), and the quantity is parsed from its digits. It takes only the plain case: a
 * record of another schema, with trailing bytes, non-ASCII ids, an unaccepted series or time,
 * or a quantity that is not a canonical decimal of at most 15 + 9 digits is left to the
 * general decoder (tryAppend answers false), which then folds it the slow way or dead-letters
 * it. So both paths agree on every record: the fast path is only ever a shortcut.
 *
 * Field order of the v1 writer schema: id, source, type, time, org, app, resource, region,
 * quantity, sku, size?, gpu?, memory_mb?, received_at.
 */
export class UsageFoldDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private scratch = new Uint8Array(1024);
  private table: SeriesTable;
  /** Series by a hash of their bytes, to the series index (verified byte by byte on a hit). */
  private seriesByHash = new Map<number, number>();
  /** By series index; sparse, as the general decoder adds series of its own. */
  private seriesBytes: Buffer[] = [];
  private verdicts: (boolean | undefined)[] = [];

  constructor(
    private readonly accept: FoldAcceptance,
    private readonly seriesLimit = 250_000,
  ) {
    this.table = new SeriesTable(seriesLimit);
  }

  /** Empty columns for a batch of up to `capacity` records, on the current series table. */
  columns(capacity: number): UsageColumns {
    if (this.table.full) {
      // Batches decoded before keep the old table; the caches below describe only the new one.
      this.table = new SeriesTable(this.seriesLimit);
      this.seriesByHash = new Map();
      this.seriesBytes = [];
      this.verdicts = [];
    }
    return new UsageColumns(capacity, this.table);
  }

  /** Appends the record to the columns if it is plain (see above); false leaves the columns as they were. */
  tryAppend(columns: UsageColumns, value: Buffer, schemaHeader: Buffer | string | undefined): boolean {
    if (!(schemaHeader instanceof Buffer) || !schemaHeader.equals(SCHEMA) || columns.table !== this.table) return false;
    this.buf = value;
    this.pos = 0;
    try {
      return this.read(columns);
    } catch (e) {
      if (e === NOT_PLAIN) return false;
      throw e;
    }
  }

  private read(c: UsageColumns): boolean {
    const idEnd = this.stringEnd();
    const idStart = this.pos;
    this.pos = idEnd;
    const sourceEnd = this.stringEnd();
    const sourceStart = this.pos;
    this.pos = sourceEnd;
    this.pos = this.stringEnd(); // type: implied by the SKU, which the projections keep
    const time = this.long();
    const seriesStart = this.pos;
    for (let f = 0; f < 4; f++) this.pos = this.stringEnd(); // org, app, resource, region
    const seriesEnd = this.pos;
    const quantityEnd = this.stringEnd();
    const [units, nanos] = this.quantity(this.pos, quantityEnd);
    this.pos = quantityEnd;
    const skuStart = this.pos;
    this.pos = this.stringEnd();
    const skuEnd = this.pos;
    this.optional(true); // size
    this.optional(true); // gpu
    this.optional(false); // memory_mb
    this.long(); // received_at
    if (this.pos !== this.buf.length || !this.accept.time(time)) return false;
    const series = this.series(seriesStart, seriesEnd, skuStart, skuEnd);
    if (series < 0) return false;
    if (c.length >= c.capacity) throw new RangeError(`more than ${c.capacity} events`);
    this.key(epochHour(time), sourceStart, sourceEnd, idStart, idEnd, c.words, c.length * 4);
    c.pushKeyed(series, time, units, nanos);
    return true;
  }

  /** Where the string at pos ends; pos is moved past its length prefix. */
  private stringEnd(): number {
    const len = this.long();
    const end = this.pos + len;
    if (len < 0 || end > this.buf.length) throw NOT_PLAIN;
    return end;
  }

  private optional(isString: boolean): void {
    const branch = this.long();
    if (branch === 0) return;
    if (branch !== 1) throw NOT_PLAIN;
    if (isString) this.pos = this.stringEnd();
    else this.long();
  }

  /** An Avro long (zig-zag varint), as avsc reads it. */
  private long(): number {
    const b = this.buf;
    let n = 0;
    let k = 0;
    let byte: number;
    do {
      if (this.pos >= b.length) throw NOT_PLAIN;
      byte = b[this.pos++]!;
      n |= (byte & 0x7f) << k;
      k += 7;
    } while (byte & 0x80 && k < 28);
    if (!(byte & 0x80)) return (n >> 1) ^ -(n & 1);
    let f = n;
    let fk = 268_435_456; // 2^28
    do {
      if (this.pos >= b.length || fk > 2 ** 49) throw NOT_PLAIN;
      byte = b[this.pos++]!;
      f += (byte & 0x7f) * fk;
      fk *= 128;
    } while (byte & 0x80);
    return (f % 2 ? -(f + 1) : f) / 2;
  }

  /** [units, billionths] of a canonical decimal (no leading or trailing zeros) of at most 15 + 9 digits. */
  private quantity(start: number, end: number): [number, number] {
    const b = this.buf;
    let units = 0;
    let i = start;
    while (i < end && b[i] !== 0x2e) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9 || (i === start + 1 && b[start] === 0x30)) throw NOT_PLAIN;
      units = units * 10 + d;
      i++;
    }
    if (i === start || i - start > FAST_WHOLE_DIGITS) throw NOT_PLAIN;
    if (i === end) return [units, 0];
    const digits = end - i - 1;
    if (digits < 1 || digits > FRACTION_DIGITS || b[end - 1] === 0x30) throw NOT_PLAIN;
    let nanos = 0;
    for (let j = i + 1; j < end; j++) {
      const d = b[j]! - 0x30;
      if (d < 0 || d > 9) throw NOT_PLAIN;
      nanos = nanos * 10 + d;
    }
    return [units, nanos * POW10[FRACTION_DIGITS - digits]!];
  }

  /** The index of the series in these bytes, -1 if the caller does not accept it. */
  private series(start: number, end: number, skuStart: number, skuEnd: number): number {
    const b = this.buf;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    for (let i = skuStart; i < skuEnd; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const known = this.seriesByHash.get(h);
    if (known !== undefined && this.sameBytes(this.seriesBytes[known]!, start, end, skuStart, skuEnd))
      return this.verdicts[known] ? known : -1;
    this.pos = start;
    const org = asValidatedOrg(this.text());
    const app = this.text();
    const resource = this.text();
    const region = this.text();
    this.pos = skuStart;
    const s: Series = { org, app, region, sku: this.text(), resource };
    // Interned by text, so a hash collision still lands on the right series (the slow way).
    const index = this.table.indexOf(s);
    if (this.verdicts[index] === undefined) {
      this.seriesBytes[index] = Buffer.concat([b.subarray(start, end), b.subarray(skuStart, skuEnd)]);
      this.verdicts[index] = this.accept.series(s);
    }
    if (known === undefined) this.seriesByHash.set(h, index);
    return this.verdicts[index] ? index : -1;
  }

  private text(): string {
    const end = this.stringEnd();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  private sameBytes(stored: Buffer, start: number, end: number, skuStart: number, skuEnd: number): boolean {
    const b = this.buf;
    const split = end - start;
    if (stored.length !== split + skuEnd - skuStart) return false;
    for (let i = 0; i < split; i++) if (stored[i] !== b[start + i]) return false;
    for (let i = 0; i < skuEnd - skuStart; i++) if (stored[split + i] !== b[skuStart + i]) return false;
    return true;
  }

  /** The event key (event-key.ts) from the source and id bytes; ASCII only on this path. */
  private key(
    hour: number,
    sourceStart: number,
    sourceEnd: number,
    idStart: number,
    idEnd: number,
    out: Int32Array,
    at: number,
  ): void {
    const n = sourceEnd - sourceStart + 1 + idEnd - idStart;
    if (n > this.scratch.length) this.scratch = new Uint8Array(n * 2);
    const s = this.scratch;
    const b = this.buf;
    let j = 0;
    let high = 0;
    for (let i = sourceStart; i < sourceEnd; i++, j++) high |= s[j] = b[i]!;
    s[j++] = 0;
    for (let i = idStart; i < idEnd; i++, j++) high |= s[j] = b[i]!;
    if (high & 0x80) throw NOT_PLAIN;
    writeKeyWords(hour, s, 0, n, out, at);
  }
}
