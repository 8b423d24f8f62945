import { asValidatedOrg } from '@metering/domain';
import type { UsageEvent } from '@metering/catalog';
import { decodeUsageEvent, encodeUsageEvent } from './usage-codec';

const event: UsageEvent = {
  id: '0b6f3c1e-1',
  source: 'host/ord-7f2a',
  type: 'machine.runtime',
  time: Date.UTC(2026, 10, 21, 10, 15),
  org: asValidatedOrg('acme'),
  app: 'web',
  resource: 'm_3d8e91',
  region: 'ord',
  quantity: '60',
  sku: 'machine.runtime/shared-cpu-1x',
  size: 'shared-cpu-1x',
  gpu: null,
  memoryMb: 256,
};

describe('usage event Avro codec', () => {
  it('round-trips an event and its receipt time', () => {
    const received = Date.UTC(2026, 10, 21, 10, 15, 2);
    expect(decodeUsageEvent(encodeUsageEvent(event, received))).toEqual({ event, receivedAt: received });
  });

  it('keeps exact decimals and absent attributes', () => {
    const e = {
      ...event,
      type: 'volume.storage',
      sku: 'volume.storage',
      size: null,
      memoryMb: null,
      app: '',
      quantity: '0.000000001',
    };
    expect(decodeUsageEvent(encodeUsageEvent(e, 0)).event).toEqual(e);
  });

  it('refuses bytes that are not a UsageEvent', () => {
    expect(() => decodeUsageEvent(Buffer.from('not avro at all'))).toThrow();
    expect(() => decodeUsageEvent(encodeUsageEvent(event, 0).subarray(0, 10))).toThrow();
  });
});
