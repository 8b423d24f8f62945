import { asValidatedOrg } from '@metering/domain';
import { skuFor, UsageEvent } from '@metering/catalog';
import { UsageColumns } from '@metering/metering';
import { decodeUsageEvent, encodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';
import { UsageFoldDecoder } from './usage-fold-decoder';

const V1 = Buffer.from(USAGE_EVENT_SCHEMA);
const accept = { series: () => true, time: () => true };
const T = Date.UTC(2026, 10, 21, 10, 15);

function event(i: number, over: Partial<UsageEvent> = {}): UsageEvent {
  const machine = i % 3 !== 2;
  const type = machine ? 'machine.runtime' : 'network.egress';
  return {
    id: `m_${i}/run/${i % 17}`,
    source: `host/r${i % 5}-01`,
    type,
    time: T + i * 61_000,
    org: asValidatedOrg(`org-${i % 4}`),
    app: i % 2 ? 'web' : '',
    resource: `m_${i % 9}`,
    region: i % 2 ? 'ord' : 'fra',
    quantity: [String(i * 7), `${i}.25`, '0.000000001', '999999999999999.999999999'][i % 4]!,
    sku: machine ? skuFor(type, { size: 'shared-cpu-1x' }, 'ord') : skuFor(type, {}, i % 2 ? 'ord' : 'fra'),
    size: machine ? 'shared-cpu-1x' : null,
    gpu: null,
    memoryMb: machine ? 256 : null,
    ...over,
  };
}

/** The columns both ways: the fast decoder, and the general decoder plus pushEvent. */
function both(events: UsageEvent[]): { fast: UsageColumns; general: UsageColumns } {
  const decoder = new UsageFoldDecoder(accept);
  const fast = decoder.columns(events.length);
  const general = new UsageColumns(events.length);
  for (const e of events) {
    const buf = encodeUsageEvent(e, T);
    expect(decoder.tryAppend(fast, buf, V1)).toBe(true);
    general.pushEvent(decodeUsageEvent(buf).event);
  }
  return { fast, general };
}

describe('UsageFoldDecoder (the fast path) against the general decoder', () => {
  it('given plain v1 records, then the same keys, days, hours, quantities and series as decoding them whole', () => {
    const { fast, general } = both(Array.from({ length: 500 }, (_, i) => event(i)));
    expect(fast.length).toBe(500);
    const cols = (c: UsageColumns) => ({
      words: Array.from(c.words.subarray(0, 4 * c.length)),
      days: Array.from(c.days.subarray(0, c.length)),
      hours: Array.from(c.hours.subarray(0, c.length)),
      units: Array.from(c.units.subarray(0, c.length)),
      nanos: Array.from(c.nanos.subarray(0, c.length)),
      series: Array.from(c.seriesOf.subarray(0, c.length), (s) => c.series[s]),
    });
    expect(cols(fast)).toEqual(cols(general));
  });

  it.each<[string, Partial<UsageEvent> | null, Buffer | undefined, (b: Buffer) => Buffer]>([
    ['another schema header', null, Buffer.from('metering.usage.v2.UsageEvent'), (b) => b],
    ['no schema header', null, undefined, (b) => b],
    ['trailing bytes', null, V1, (b) => Buffer.concat([b, Buffer.from([0])])],
    ['a cut record', null, V1, (b) => b.subarray(0, b.length - 3)],
    ['a non-canonical quantity', { quantity: '1.50' }, V1, (b) => b],
    ['a leading zero', { quantity: '01' }, V1, (b) => b],
    ['16 integer digits', { quantity: '1234567890123456' }, V1, (b) => b],
    ['a non-ASCII id', { id: 'é' }, V1, (b) => b],
  ])('given %s, then it is left to the general decoder and the columns are untouched', (_, over, header, mangle) => {
    const decoder = new UsageFoldDecoder(accept);
    const columns = decoder.columns(1);
    expect(decoder.tryAppend(columns, mangle(encodeUsageEvent(event(1, over ?? {}), T)), header)).toBe(false);
    expect(columns.length).toBe(0);
  });

  it('given a series or time the caller does not accept, then it is left to the general decoder', () => {
    const decoder = new UsageFoldDecoder({ series: (s) => s.region !== 'fra', time: (t) => t < T + 1_000_000 });
    const columns = decoder.columns(4);
    expect(decoder.tryAppend(columns, encodeUsageEvent(event(1), T), V1)).toBe(true); // ord
    expect(decoder.tryAppend(columns, encodeUsageEvent(event(2), T), V1)).toBe(false); // fra
    expect(decoder.tryAppend(columns, encodeUsageEvent(event(1, { time: T + 2_000_000 }), T), V1)).toBe(false);
    expect(columns.length).toBe(1);
  });

  it('keeps series from batch to batch, and starts a new table once it is full', () => {
    const decoder = new UsageFoldDecoder(accept, 3);
    const first = decoder.columns(10);
    for (let i = 0; i < 10; i++) decoder.tryAppend(first, encodeUsageEvent(event(i), T), V1);
    const second = decoder.columns(1);
    expect(second.table).not.toBe(first.table); // the first filled up (3 series or more)
    expect(decoder.tryAppend(first, encodeUsageEvent(event(0), T), V1)).toBe(false); // an old table is not written to
    expect(decoder.tryAppend(second, encodeUsageEvent(event(0), T), V1)).toBe(true);
  });
});
