import { toScaled, type UsageEvent } from '@metering/catalog';
import { epochDay, writeEventKey } from './event-key';
import { splitQuantity } from './quantity';
import { Series, SeriesTable } from './series-table';

/** What the dedup and the fold need of an event. */
export type ColumnEvent = Pick<
  UsageEvent,
  'id' | 'source' | 'time' | 'org' | 'app' | 'region' | 'sku' | 'resource' | 'quantity'
>;

const HOUR_MS = 3_600_000;

/**
 * One batch's events as columns, one slot per event: what the deduplication and the fold
 * read. Tens of thousands of events a batch cost a few typed arrays rather than an object
 * and a dozen strings each; events refer to their series (org, app, region, SKU, resource)
 * by its index in a SeriesTable. Quantities are split into units and billionths (see quantity.ts);
 * the rare one that does not fit goes to `scaled` as a bigint and `units` holds -1.
 */
export class UsageColumns {
  length = 0;
  /** Index of each event's series in `table`. */
  readonly seriesOf: Int32Array;
  /** Hours since the epoch (floor of time / 1 h). */
  readonly hours: Int32Array;
  /** Days since the epoch: the seen-id partition. */
  readonly days: Int32Array;
  /** The 16-byte dedup key of each event, as four words (event-key.ts): event i at 4i..4i+3. */
  readonly words: Int32Array;
  readonly units: Float64Array;
  readonly nanos: Float64Array;
  readonly scaled = new Map<number, bigint>();

  constructor(
    readonly capacity: number,
    readonly table: SeriesTable = new SeriesTable(),
  ) {
    this.seriesOf = new Int32Array(capacity);
    this.hours = new Int32Array(capacity);
    this.days = new Int32Array(capacity);
    this.words = new Int32Array(capacity * 4);
    this.units = new Float64Array(capacity);
    this.nanos = new Float64Array(capacity);
  }

  static of(events: readonly ColumnEvent[]): UsageColumns {
    const columns = new UsageColumns(events.length);
    for (const e of events) columns.pushEvent(e);
    return columns;
  }

  get series(): readonly Series[] {
    return this.table.series;
  }

  /** The index of this series in the table, added if new. */
  seriesIndex(s: Series): number {
    return this.table.indexOf(s);
  }

  /**
   * Appends an event whose key words the caller has written to words[4·length ..] already
   * (a decoder hashes the bytes of the record). Returns its index.
   */
  pushKeyed(series: number, time: number, units: number, nanos: number): number {
    const i = this.length++;
    if (i >= this.capacity) throw new RangeError(`more than ${this.capacity} events`);
    this.seriesOf[i] = series;
    this.hours[i] = Math.floor(time / HOUR_MS);
    this.days[i] = epochDay(time);
    this.units[i] = units;
    this.nanos[i] = nanos;
    return i;
  }

  /** Appends a decoded event. */
  pushEvent(e: ColumnEvent): number {
    writeEventKey(e.source, e.id, e.time, this.words, this.length * 4);
    const split = splitQuantity(e.quantity);
    const i = this.pushKeyed(this.seriesIndex(e), e.time, split ? split[0] : -1, split ? split[1] : 0);
    if (!split) this.scaled.set(i, toScaled(e.quantity));
    return i;
  }

  /** Whether events i and j have the same day and key (are one event). */
  same(i: number, j: number): boolean {
    const w = this.words;
    return (
      this.days[i] === this.days[j] &&
      w[4 * i] === w[4 * j] &&
      w[4 * i + 1] === w[4 * j + 1] &&
      w[4 * i + 2] === w[4 * j + 2] &&
      w[4 * i + 3] === w[4 * j + 3]
    );
  }

  /**
   * Of the events from..to-1, the first of each distinct (day, key), in order: a host that
   * re-sends within what Kafka hands over as one batch is caught here, before Postgres. An
   * open-addressing table in a typed array: no object per event for the collector to chase.
   */
  firstOfEach(from: number, to: number): Int32Array {
    const out = new Int32Array(Math.max(0, to - from));
    let size = 16;
    while (size < 2 * out.length) size *= 2;
    const mask = size - 1;
    const slots = new Int32Array(size); // event index + 1; 0 is empty
    const w = this.words;
    let n = 0;
    for (let i = from; i < to; i++) {
      let h = (w[4 * i + 1]! ^ w[4 * i]!) & mask; // hash words are uniform already
      for (;;) {
        const held = slots[h]!;
        if (held === 0) {
          slots[h] = i + 1;
          out[n++] = i;
          break;
        }
        if (this.same(held - 1, i)) break;
        h = (h + 1) & mask;
      }
    }
    return out.subarray(0, n);
  }
}
