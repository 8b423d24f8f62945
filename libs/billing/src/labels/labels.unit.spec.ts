import { labelKeyOf, validateLabels } from './labels';

describe('app labels', () => {
  it('given up to 10 well-formed labels, then they are valid, by key', () => {
    expect(validateLabels({ team: 'payments', env: 'prod' })).toEqual({
      ok: true,
      value: { env: 'prod', team: 'payments' },
    });
    expect(validateLabels({})).toEqual({ ok: true, value: {} });
    expect(validateLabels({ k: 'é'.repeat(64), cost_center_2: 'Zürich / 🚀' }).ok).toBe(true);
  });

  it('given keys or values outside the rules, then each is named by its path', () => {
    const v = validateLabels({ '1x': 'a', a: 'x'.repeat(65), b: '', c: 'tab\there', ['k'.repeat(33)]: 'a', d: 1 });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.faults.map((f) => f.path)).toEqual(['1x', 'a', 'b', 'c', 'k'.repeat(33), 'd']);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(validateLabels(eleven)).toEqual({ ok: false, faults: [{ path: '', message: 'at most 10 labels' }] });
    expect(validateLabels(null).ok).toBe(false);
  });

  it('reads the key of label:<key> parameters', () => {
    expect(labelKeyOf('label:team')).toBe('team');
    expect(labelKeyOf('label:Team')).toBeNull();
    expect(labelKeyOf('team')).toBeNull();
  });
});
