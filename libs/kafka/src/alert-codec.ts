import { Type } from 'avsc';
import type { AlertTriggered } from '@metering/billing';
import { readSchemaFile } from './schema-file';

export const ALERT_EVENT_SCHEMA = 'metering.billing.v1.AlertTriggered';

const alertType = Type.forSchema(JSON.parse(readSchemaFile('alert-triggered.avsc')));

export function encodeAlertTriggered(e: AlertTriggered): Buffer {
  return alertType.toBuffer(e);
}

export function decodeAlertTriggered(buf: Buffer): AlertTriggered {
  return alertType.fromBuffer(buf) as AlertTriggered;
}

/** The Kafka message of an alert's firing: keyed by organization, Avro, its schema and type in headers. */
export function alertTriggeredMessage(
  topic: string,
  e: AlertTriggered,
): { topic: string; key: string; value: Buffer; headers: Record<string, string> } {
  return { topic, key: e.org, headers: { schema: ALERT_EVENT_SCHEMA, type: e.type }, value: encodeAlertTriggered(e) };
}
