import { asValidatedOrg } from '@metering/domain';
import { Type } from 'avsc';
import type { UsageEvent } from '@metering/catalog';
import { readSchemaFile } from './schema-file';
import { writeUsageEvent } from './usage-avro-writer';

/** Names the writer schema of a record, in the `schema` header, so readers can evolve. */
export const USAGE_EVENT_SCHEMA = 'metering.usage.v1.UsageEvent';

/** A v1 record as avsc reads and writes it. */
export interface UsageEventRecord {
  id: string;
  source: string;
  type: string;
  time: number;
  org: string;
  app: string;
  resource: string;
  region: string;
  quantity: string;
  sku: string;
  size: string | null;
  gpu: string | null;
  memory_mb: number | null;
  received_at: number;
}

const usageType = Type.forSchema(JSON.parse(readSchemaFile('usage-event.avsc')));

export interface ReceivedEvent {
  event: UsageEvent;
  receivedAt: number;
}

/** The record's Avro value: avsc's bytes, written by hand (see usage-avro-writer.ts). */
export function encodeUsageEvent(e: UsageEvent, receivedAt: number): Buffer {
  return writeUsageEvent(e, receivedAt);
}

/** Decodes one record; throws on bytes that are not a UsageEvent (the caller dead-letters them). */
export function decodeUsageEvent(buf: Buffer): ReceivedEvent {
  const r = usageType.fromBuffer(buf) as UsageEventRecord;
  return { event: eventOfRecord(r), receivedAt: r.received_at };
}

/** The event a decoded record (of either schema version) carries. */
export function eventOfRecord(r: UsageEventRecord): UsageEvent {
  return {
    id: r.id,
    source: r.source,
    type: r.type,
    time: r.time,
    org: asValidatedOrg(r.org),
    app: r.app,
    resource: r.resource,
    region: r.region,
    quantity: r.quantity,
    sku: r.sku,
    size: r.size,
    gpu: r.gpu,
    memoryMb: r.memory_mb,
  };
}
