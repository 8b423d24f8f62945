import { Type } from 'avsc';
import type { UsageEvent } from '@metering/catalog';
import type { Correction } from '@metering/billing';
import { asValidatedOrg } from '@metering/domain';
import { readSchemaFile } from './schema-file';
import { eventOfRecord, type UsageEventRecord } from './usage-codec';

/**
 * The `schema` header of records written with usage-event.v2.avsc: v1 plus an optional
 * correction. Only corrections are written with it; the collector keeps writing v1, which
 * the fold's fast decoder reads.
 */
export const USAGE_EVENT_SCHEMA_V2 = 'metering.usage.v2.UsageEvent';
/** The source of every correction record: a correction's id is unique among corrections. */
export const CORRECTION_SOURCE = 'billing/corrections';

type V2Record = UsageEventRecord & { correction: { reason: string } | null };

const v1Type = Type.forSchema(JSON.parse(readSchemaFile('usage-event.avsc')));
const v2Type = Type.forSchema(JSON.parse(readSchemaFile('usage-event.v2.avsc')));
/** Reads a v1 record under the v2 schema (the `correction` field takes its default, null). */
const fromV1 = v2Type.createResolver(v1Type);

export type DecodedUsageRecord =
  | { kind: 'usage'; event: UsageEvent; receivedAt: number }
  | { kind: 'correction'; correction: Correction; receivedAt: number };

/** A correction as the record that carries it on the usage topic (key = org, like usage). */
export function encodeCorrection(c: Correction, receivedAt: number): Buffer {
  const record: V2Record = {
    id: c.id,
    source: CORRECTION_SOURCE,
    type: c.type,
    time: c.time,
    org: c.org,
    app: c.app,
    resource: c.resource,
    region: c.region,
    quantity: c.quantity,
    sku: c.sku,
    size: null,
    gpu: null,
    memory_mb: null,
    received_at: receivedAt,
    correction: { reason: c.reason },
  };
  return v2Type.toBuffer(record);
}

/** Decodes a record of the usage topic of either version, by its `schema` header. Throws on bytes that are neither. */
export function decodeUsageRecord(buf: Buffer, schemaHeader?: Buffer | string): DecodedUsageRecord {
  // Any other header (or none) is read as v1, as the general decoder always has.
  const v2 = schemaHeader !== undefined && schemaHeader.toString() === USAGE_EVENT_SCHEMA_V2;
  const r = (v2 ? v2Type.fromBuffer(buf) : v2Type.fromBuffer(buf, fromV1)) as V2Record;
  const org = asValidatedOrg(r.org);
  if (r.correction) {
    const { id, type, time, app, resource, region, quantity, sku } = r;
    return {
      kind: 'correction',
      correction: { id, org, type, time, app, resource, region, quantity, sku, reason: r.correction.reason },
      receivedAt: r.received_at,
    };
  }
  return { kind: 'usage', event: eventOfRecord(r), receivedAt: r.received_at };
}
