import { Type } from 'avsc';
import { asValidatedOrg } from '@metering/domain';
import type { UsageEvent } from '@metering/catalog';
import type { Correction } from '@metering/billing';
import { decodeUsageRecord, encodeCorrection, USAGE_EVENT_SCHEMA_V2 } from './correction-codec';
import { readSchemaFile } from './schema-file';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';

const event: UsageEvent = {
  id: 'e-1',
  source: 'host/ord-1',
  type: 'machine.runtime',
  time: Date.UTC(2026, 10, 14, 10),
  org: asValidatedOrg('acme'),
  app: 'web',
  resource: 'm_3d8e91',
  region: 'ord',
  quantity: '3600',
  sku: 'machine.runtime/shared-cpu-1x',
  size: 'shared-cpu-1x',
  gpu: null,
  memoryMb: 256,
};

const correction: Correction = {
  id: 'corr-2026-11-0042',
  org: asValidatedOrg('acme'),
  time: Date.UTC(2026, 10, 14, 10),
  region: 'ord',
  app: 'web',
  resource: 'm_3d8e91',
  sku: 'machine.runtime/shared-cpu-1x',
  type: 'machine.runtime',
  quantity: '-3600',
  reason: 'host double-reported',
};

describe('usage event schema v2 (corrections)', () => {
  it('decodes a record written with the v1 schema under v2: the same event, no correction', () => {
    // Written by the v1 schema file itself, as every record already in the log was.
    const v1 = Type.forSchema(JSON.parse(readSchemaFile('usage-event.avsc')));
    const bytes = v1.toBuffer({
      ...event,
      memory_mb: 256,
      received_at: 1_000,
    });
    expect(bytes.equals(encodeUsageEvent(event, 1_000))).toBe(true);
    expect(decodeUsageRecord(bytes, Buffer.from(USAGE_EVENT_SCHEMA))).toEqual({
      kind: 'usage',
      event,
      receivedAt: 1_000,
    });
    // No header (records of the first producers): read as v1 too.
    expect(decodeUsageRecord(bytes)).toEqual({ kind: 'usage', event, receivedAt: 1_000 });
  });

  it('round-trips a correction, with its signed quantity and reason', () => {
    expect(decodeUsageRecord(encodeCorrection(correction, 2_000), Buffer.from(USAGE_EVENT_SCHEMA_V2))).toEqual({
      kind: 'correction',
      correction,
      receivedAt: 2_000,
    });
  });

  it('v2 is a compatible evolution of v1: v1 resolves to v2, and every v2 field missing from v1 has a default', () => {
    const v1 = JSON.parse(readSchemaFile('usage-event.avsc')) as { fields: { name: string }[] };
    const v2 = JSON.parse(readSchemaFile('usage-event.v2.avsc')) as { fields: { name: string; default?: unknown }[] };
    expect(v2.fields.slice(0, v1.fields.length).map((f) => f.name)).toEqual(v1.fields.map((f) => f.name));
    for (const f of v2.fields.slice(v1.fields.length)) expect(f).toHaveProperty('default');
    const [t1, t2] = [v1, v2].map((s) => Type.forSchema(s as Parameters<typeof Type.forSchema>[0]));
    expect(() => t2!.createResolver(t1!)).not.toThrow();
  });

  it('refuses a correction record read with the v1 header (its trailing field is not v1)', () => {
    expect(() => decodeUsageRecord(encodeCorrection(correction, 0), Buffer.from(USAGE_EVENT_SCHEMA))).toThrow();
  });
});
