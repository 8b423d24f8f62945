/** Catalog attributes the usage event can carry. The event and its Avro record have one field
 *  per attribute, so an attribute outside this list would be validated and then silently dropped;
 *  the catalog refuses it at load instead. Adding one is a schema change, not a data change. */
export const EVENT_ATTRIBUTES = {
  size: { kind: 'enum', field: 'size' },
  gpu: { kind: 'enum', field: 'gpu' },
  memory_mb: { kind: 'integer', field: 'memoryMb' },
} as const;

export type EventAttributeName = keyof typeof EVENT_ATTRIBUTES;

export function isEventAttribute(name: string): name is EventAttributeName {
  return Object.prototype.hasOwnProperty.call(EVENT_ATTRIBUTES, name);
}
