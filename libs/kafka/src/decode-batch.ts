import { allSkus, region, UsageEvent } from '@metering/catalog';
import type { BatchMessage, RecordSet, UnreadableBatch } from './record-set';
import { decodeUsageEvent } from './usage-codec';
import { FoldAcceptance, UsageFoldDecoder } from './usage-fold-decoder';
import { Series, UsageColumns } from '@metering/metering';

const KNOWN_SKUS = new Set(allSkus().map((s) => s.sku));
const DECIMAL = /^(0|[1-9]\d*)(\.\d{0,8}[1-9])?$/;
// Nothing outside these is an accepted event (the collector takes 35 days back at most), and
// keeping times here keeps the fold's bucket numbers small, exact integers.
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

const ACCEPT: FoldAcceptance = {
  series: (s: Series) => KNOWN_SKUS.has(s.sku) && region(s.region) !== undefined,
  time: (t: number) => t >= EARLIEST && t < LATEST,
};

/** Why a decoded event cannot be folded, or null when it can. */
export function unfoldable(e: UsageEvent): string | null {
  if (!KNOWN_SKUS.has(e.sku)) return `unknown sku '${e.sku}'`;
  if (!region(e.region)) return `unknown region '${e.region}'`;
  if (!DECIMAL.test(e.quantity))
    return `quantity '${e.quantity}' is not a canonical decimal of at most 9 decimal places`;
  if (!ACCEPT.time(e.time)) return `time ${e.time} is not between 2000 and 2200`;
  return null;
}

export interface Poison {
  message: BatchMessage;
  reason: string;
}

export interface DecodedBatch {
  columns: UsageColumns;
  /** The offset of each event (offsets stay far below 2^53). */
  offsets: Float64Array;
  poison: Poison[];
}

/** The fast decoder, with what it accepts; one per consumer (it keeps the series it has seen). */
export function foldDecoder(): UsageFoldDecoder {
  return new UsageFoldDecoder(ACCEPT);
}

/**
 * Splits a partition's records into events to fold (as columns) and poison to set aside with
 * the reason; a batch that could not be read at all is one poison message holding its bytes. Plain v1 records take the fast decoder; everything else the general one, which
 * has the last word on what is poison.
 */
export function decodeBatch(records: RecordSet, fast: UsageFoldDecoder): DecodedBatch {
  const columns = fast.columns(records.length);
  const offsets = new Float64Array(records.length);
  const poison: Poison[] = (records.unreadable ?? []).map(unreadablePoison);
  for (let i = 0; i < records.length; i++) {
    const value = records.value(i);
    if (!value) {
      poison.push({ message: records.message(i), reason: 'empty value' });
      continue;
    }
    if (!fast.tryAppend(columns, value, records.schemaHeader(i))) {
      let event: UsageEvent;
      try {
        event = decodeUsageEvent(value).event;
      } catch (e) {
        poison.push({
          message: records.message(i),
          reason: `not a UsageEvent: ${e instanceof Error ? e.message : String(e)}`,
        });
        continue;
      }
      const why = unfoldable(event);
      if (why) {
        poison.push({ message: records.message(i), reason: why });
        continue;
      }
      columns.pushEvent(event);
    }
    offsets[columns.length - 1] = records.offset(i);
  }
  return { columns, offsets: offsets.subarray(0, columns.length), poison };
}

/** A whole unreadable batch as one dead letter: its bytes as they came, its offsets in a header. */
function unreadablePoison(u: UnreadableBatch): Poison {
  return {
    message: {
      offset: String(u.baseOffset),
      key: null,
      value: u.bytes,
      headers: { 'dlq.offsets': `${u.baseOffset}..${u.lastOffset}` },
    },
    reason: u.reason,
  };
}
