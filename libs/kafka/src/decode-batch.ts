import { allSkus, region, UsageEvent } from '@metering/catalog';
import type { BatchMessage, RecordSet, UnreadableBatch } from './record-set';
import type { Correction } from '@metering/billing';
import { decodeUsageRecord } from './correction-codec';
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

const SIGNED_DECIMAL = /^-?(0|[1-9]\d*)(\.\d{0,8}[1-9])?$/;

/** Why a decoded correction cannot be folded, or null when it can. */
export function unfoldableCorrection(c: Correction): string | null {
  if (!KNOWN_SKUS.has(c.sku)) return `correction: unknown sku '${c.sku}'`;
  if (!region(c.region)) return `correction: unknown region '${c.region}'`;
  if (!SIGNED_DECIMAL.test(c.quantity)) return `correction: quantity '${c.quantity}' is not a canonical signed decimal`;
  if (!ACCEPT.time(c.time)) return `correction: time ${c.time} is not between 2000 and 2200`;
  return null;
}

export interface Poison {
  message: BatchMessage;
  reason: string;
}

/** A correction of the batch, at its offset: the store applies it between the events before and after it. */
export interface OffsetCorrection {
  offset: number;
  correction: Correction;
}

export interface DecodedBatch {
  columns: UsageColumns;
  /** In offset order; empty in nearly every batch. */
  corrections: OffsetCorrection[];
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
  const corrections: OffsetCorrection[] = [];
  for (let i = 0; i < records.length; i++) {
    const value = records.value(i);
    if (!value) {
      poison.push({ message: records.message(i), reason: 'empty value' });
      continue;
    }
    if (!fast.tryAppend(columns, value, records.schemaHeader(i))) {
      let event: UsageEvent;
      try {
        const decoded = decodeUsageRecord(value, records.schemaHeader(i));
        if (decoded.kind === 'correction') {
          const why = unfoldableCorrection(decoded.correction);
          if (why) poison.push({ message: records.message(i), reason: why });
          else corrections.push({ offset: records.offset(i), correction: decoded.correction });
          continue;
        }
        event = decoded.event;
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
  return { columns, corrections, offsets: offsets.subarray(0, columns.length), poison };
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
