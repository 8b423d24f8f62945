import { Type } from 'avsc';
import type { BillingEvent } from '@metering/billing';
import { readSchemaFile } from './schema-file';

export const BILLING_EVENT_SCHEMA = 'metering.billing.v1.BillingDocumentEvent';

const billingType = Type.forSchema(JSON.parse(readSchemaFile('billing-event.avsc')));

export function encodeBillingEvent(e: BillingEvent): Buffer {
  return billingType.toBuffer(e);
}

export function decodeBillingEvent(buf: Buffer): BillingEvent {
  return billingType.fromBuffer(buf) as BillingEvent;
}

/** A billing event as the Kafka message that carries it: keyed by organization, Avro, its schema and type in headers. */
export function billingEventMessage(
  topic: string,
  e: BillingEvent,
): { topic: string; key: string; value: Buffer; headers: Record<string, string> } {
  return { topic, key: e.org, headers: { schema: BILLING_EVENT_SCHEMA, type: e.type }, value: encodeBillingEvent(e) };
}
