import { signedQuantity, staysNonNegative, validateCorrection } from './correction';

const body = {
  id: 'corr-2026-11-0042',
  org: 'acme',
  time: '2026-11-14T10:00:00Z',
  region: 'ord',
  app: 'web',
  resource: 'm_3d8e91',
  sku: 'machine.runtime/shared-cpu-1x',
  quantity: '-3600',
  reason: 'host double-reported',
};

describe('a correction', () => {
  it('given the contract’s example, is valid, with its meter type derived from the SKU', () => {
    const v = validateCorrection(body);
    expect(v).toEqual({
      ok: true,
      value: { ...body, time: Date.UTC(2026, 10, 14, 10), type: 'machine.runtime' },
    });
  });

  it('given faults, names the path of each', () => {
    const v = validateCorrection({ ...body, id: '', region: 'xxx', quantity: 'minus one', reason: 7, color: 'red' });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.faults.map((f) => f.path).sort()).toEqual(['color', 'id', 'quantity', 'reason', 'region']);
    expect(validateCorrection([])).toEqual({ ok: false, faults: [{ path: '', message: 'must be a JSON object' }] });
  });

  it('takes signed decimals in canonical form, whole ones for whole units, never zero', () => {
    expect(signedQuantity('-0.50', false)).toBe('-0.5');
    expect(signedQuantity('12', true)).toBe('12');
    expect(signedQuantity('-1.0', true)).toBe('-1');
    expect(signedQuantity('-1.5', true)).toEqual({ fault: expect.stringContaining('whole') });
    expect(signedQuantity('-0.000', false)).toEqual({ fault: 'must not be zero' });
    expect(signedQuantity('+1', false)).toHaveProperty('fault');
    expect(signedQuantity('1e3', false)).toHaveProperty('fault');
    expect(signedQuantity(-1, false)).toHaveProperty('fault');
  });

  it('may take an hour to zero, never below it', () => {
    expect(staysNonNegative('3600', '-3600')).toBe(true);
    expect(staysNonNegative('3600', '-3600.000000001')).toBe(false);
    expect(staysNonNegative('0', '5')).toBe(true);
    expect(staysNonNegative('0.25', '-0.5')).toBe(false);
  });
});
