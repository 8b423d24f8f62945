import type { CostAnswer, CostQuery } from '@metering/db';
import { asOperatorOrg } from '@metering/domain';
import { ResourceIndex } from './resource-index';

/** A cost source whose watermark and rows the test moves, and whose pricing it releases. */
function source() {
  const s = {
    version: 'v1',
    rows: [{ resource: 'm_a', region: 'ord', app: 'web', sku: 'x', quantity: '1', amount: '1', start: '', end: '' }],
    priced: 0,
    release: [] as (() => void)[],
    async watermark() {
      return s.version;
    },
    async costs(_org: unknown, _q: CostQuery): Promise<CostAnswer> {
      s.priced++;
      const rows = [...s.rows];
      await new Promise<void>((r) => s.release.push(r));
      return { rows, total: '0', totalRows: rows.length };
    },
  };
  return s;
}

const flush = () => new Promise((r) => setImmediate(r));
const w = { from: new Date(0), to: new Date(3_600_000), filters: { region: [], app: [], sku: [] } };

const org = asOperatorOrg('acme');

/** An index over a fresh source whose first list (m_a, version v1) is priced; `clock.now` is its time. */
async function primed() {
  const s = source();
  const clock = { now: 0 };
  const index = new ResourceIndex(s, 5_000, () => clock.now);
  const first = index.summaries(org, w, 'resource');
  await flush();
  s.release.shift()!();
  expect((await first).map((r) => r.resource)).toEqual(['m_a']);
  return { s, clock, index };
}

describe('the resource index', () => {
  it('given a list younger than the bound when a fold moves the watermark then it answers the kept list and prices a new one', async () => {
    const { s, clock, index } = await primed();
    s.version = 'v2';
    s.rows.push({ ...s.rows[0]!, resource: 'm_b' });
    clock.now = 4_000;
    expect((await index.summaries(org, w, 'resource')).map((r) => r.resource)).toEqual(['m_a']);
    // Many callers meanwhile: still one pricing in flight.
    await Promise.all([index.summaries(org, w, 'resource'), index.summaries(org, w, 'cost')]);
    await flush();
    expect(s.priced).toBe(2);
    s.release.shift()!();
    await flush();
    await flush();
    expect((await index.summaries(org, w, 'resource')).map((r) => r.resource)).toEqual(['m_a', 'm_b']);
  });

  it('given a list older than the bound when the watermark moved then the caller waits for the new list', async () => {
    const { s, clock, index } = await primed();
    s.version = 'v2';
    s.rows = [{ ...s.rows[0]!, resource: 'm_c' }];
    clock.now = 6_000;
    const second = index.summaries(org, w, 'cost');
    let answered = false;
    void second.then(() => (answered = true));
    await flush();
    expect(answered).toBe(false);
    s.release.shift()!();
    expect((await second).map((r) => r.resource)).toEqual(['m_c']);
  });
});
