import { unitOf } from '@metering/catalog';
import { asCheckedOrg } from '@metering/domain';
import { validateCommitmentBody, validateCreditBody } from './validate-account';
import { validatePriceBody } from './validate-price';

const ctx = { unitOf, orgExists: (org: string) => org === 'acme' };
const faultsOf = (r: { ok: true } | { ok: false; faults: { path: string; message: string }[] }) =>
  r.ok ? [] : r.faults.map((f) => f.path);

describe('validatePriceBody', () => {
  it("given the contract's example of a contract price, then the typed entry", () => {
    expect(
      validatePriceBody(
        { sku: 'gpu.runtime/a10', effective_from: '2026-12-01T00:00:00Z', org: 'acme', unit_price: '0.000694' },
        ctx,
      ),
    ).toEqual({
      ok: true,
      value: {
        sku: 'gpu.runtime/a10',
        org: 'acme',
        effectiveFrom: Date.UTC(2026, 11, 1),
        unit: 'second',
        rate: { kind: 'flat', unitPrice: '0.000694' },
      },
    });
  });

  it('given tiers without tier_mode, then a graduated list price; with "volume", a volume one', () => {
    const tiers = [
      { up_to: '3600', unit_price: '0' },
      { up_to: null, unit_price: '0.000694' },
    ];
    const graduated = validatePriceBody({ sku: 'gpu.runtime/a10', effective_from: '2026-12-01T00:00:00Z', tiers }, ctx);
    expect(graduated).toEqual({
      ok: true,
      value: expect.objectContaining({
        org: null,
        rate: {
          kind: 'tiered',
          mode: 'graduated',
          tiers: [
            { upTo: '3600', unitPrice: '0' },
            { upTo: null, unitPrice: '0.000694' },
          ],
        },
      }),
    });
    const volume = validatePriceBody(
      { sku: 'gpu.runtime/a10', effective_from: '2026-12-01T01:00:00+01:00', tiers, tier_mode: 'volume' },
      ctx,
    );
    expect(volume.ok && volume.value.rate.kind === 'tiered' && volume.value.rate.mode).toBe('volume');
    expect(volume.ok && volume.value.effectiveFrom).toBe(Date.UTC(2026, 11, 1));
  });

  it('given every fault at once, then each is named by its path', () => {
    const r = validatePriceBody(
      {
        sku: 'gpu.runtime/h100',
        effective_from: '2026-12-01T00:30:00Z',
        org: 'initech',
        unit_price: '-1',
        tier_mode: 'volume',
        colour: 'red',
      },
      ctx,
    );
    expect(faultsOf(r).sort()).toEqual(['colour', 'effective_from', 'org', 'sku', 'tier_mode', 'unit_price']);
  });

  it.each([
    ['1e-6', 'a non-negative decimal string'],
    ['0.0000000000001', 'at most 12 decimal places'],
    ['-0.1', 'a non-negative decimal string'],
    ['01', 'a non-negative decimal string'],
  ])('given unit_price %s, then refused: %s', (unitPrice, message) => {
    const r = validatePriceBody(
      { sku: 'ip.dedicated', effective_from: '2026-12-01T00:00:00Z', unit_price: unitPrice },
      ctx,
    );
    expect(r).toEqual({ ok: false, faults: [{ path: 'unit_price', message: expect.stringContaining(message) }] });
  });

  it('given a unit_price as a JSON number, then refused: money is a string', () => {
    expect(
      faultsOf(
        validatePriceBody({ sku: 'ip.dedicated', effective_from: '2026-12-01T00:00:00Z', unit_price: 0.5 }, ctx),
      ),
    ).toEqual(['unit_price']);
  });

  it('given both or neither of unit_price and tiers, then refused', () => {
    const base = { sku: 'ip.dedicated', effective_from: '2026-12-01T00:00:00Z' };
    expect(
      faultsOf(validatePriceBody({ ...base, unit_price: '1', tiers: [{ up_to: null, unit_price: '1' }] }, ctx)),
    ).toEqual(['tiers']);
    expect(faultsOf(validatePriceBody(base, ctx))).toEqual(['unit_price']);
  });

  it("given tiers out of order, a null before the last, a last with a bound, a zero bound and a bad mode, then each tier's fault by its path", () => {
    const r = validatePriceBody(
      {
        sku: 'ip.dedicated',
        effective_from: '2026-12-01T00:00:00Z',
        tier_mode: 'stepped',
        tiers: [
          { up_to: '0', unit_price: '0' },
          { up_to: '100', unit_price: '0.1' },
          { up_to: '100', unit_price: '0.05' },
          { up_to: null, unit_price: 'free' },
          { up_to: '5000', unit_price: '0.01' },
        ],
      },
      ctx,
    );
    expect(faultsOf(r)).toEqual([
      'tier_mode',
      'tiers[0].up_to',
      'tiers[2].up_to',
      'tiers[3].up_to',
      'tiers[3].unit_price',
      'tiers[4].up_to',
    ]);
  });

  it('given an empty tier list or a body that is not an object, then refused', () => {
    expect(
      faultsOf(validatePriceBody({ sku: 'ip.dedicated', effective_from: '2026-12-01T00:00:00Z', tiers: [] }, ctx)),
    ).toEqual(['tiers']);
    expect(faultsOf(validatePriceBody([], ctx))).toEqual(['']);
  });

  it('given an effective_from that is not RFC 3339 or not an hour, then refused', () => {
    for (const t of [
      '2026-12-01',
      '2026-12-01T00:00:00',
      '2026-02-30T00:00:00Z',
      '2026-12-01T00:00:00.5Z',
      1796083200000,
    ]) {
      expect(faultsOf(validatePriceBody({ sku: 'ip.dedicated', effective_from: t, unit_price: '1' }, ctx))).toEqual([
        'effective_from',
      ]);
    }
  });
});

describe('validateCommitmentBody', () => {
  const acme = asCheckedOrg('acme');
  it("given the contract's example, then the commitment", () => {
    expect(validateCommitmentBody(acme, { monthly_minimum: '1000.00', from: '2026-12' })).toEqual({
      ok: true,
      value: { org: 'acme', from: '2026-12', monthlyMinimum: '1000.00' },
    });
    expect(validateCommitmentBody(acme, { monthly_minimum: '0', from: '2027-03' }).ok).toBe(true);
  });
  it('given cents past two places, a negative amount or a bad month, then refused', () => {
    expect(faultsOf(validateCommitmentBody(acme, { monthly_minimum: '1000.001', from: '2026-13' }))).toEqual([
      'monthly_minimum',
      'from',
    ]);
    expect(faultsOf(validateCommitmentBody(acme, { monthly_minimum: '-5', from: '2026-12' }))).toEqual([
      'monthly_minimum',
    ]);
    expect(faultsOf(validateCommitmentBody(acme, { from: '2026-12' }))).toEqual(['monthly_minimum']);
  });
});

describe('validateCreditBody', () => {
  it("given the contract's example, then the grant; expires_at is optional", () => {
    expect(
      validateCreditBody({ amount: '500.00', reason: 'outage 2026-11-14', expires_at: '2027-06-30T00:00:00Z' }),
    ).toEqual({
      ok: true,
      value: { amount: '500.00', reason: 'outage 2026-11-14', expiresAt: Date.UTC(2027, 5, 30) },
    });
    expect(validateCreditBody({ amount: '1', reason: 'goodwill' })).toEqual({
      ok: true,
      value: { amount: '1', reason: 'goodwill', expiresAt: null },
    });
  });
  it('given a zero amount, an empty, too long or control-character reason, or a bad expiry, then refused', () => {
    expect(faultsOf(validateCreditBody({ amount: '0.00', reason: '', expires_at: 'June' }))).toEqual([
      'amount',
      'reason',
      'expires_at',
    ]);
    expect(faultsOf(validateCreditBody({ amount: '5', reason: 'x'.repeat(501) }))).toEqual(['reason']);
    expect(faultsOf(validateCreditBody({ amount: '5', reason: '🎁'.repeat(500) }))).toEqual([]);
    expect(faultsOf(validateCreditBody({ amount: '5', reason: 'a\u0000b' }))).toEqual(['reason']);
    expect(faultsOf(validateCreditBody({ amount: '5.001', reason: 'r' }))).toEqual(['amount']);
  });
});
