import fc from 'fast-check';
import { asCheckedOrg, Dec, parsePeriod, type Period, sumDec } from '@metering/domain';
import { periodBounds } from '@metering/domain';
import { applyCredits, usableGrants } from './credits';
import { BilledLine, repriceLateMonth } from './late';
import { linesTotal, priceMonth, priceUsage } from './pricing';
import { Terms } from './terms';
import type { Commitment, CreditGrant, Rate, TermPriceEntry, TermsLine, Tier, UsageSegment } from './types';

const month = (text: string): Period => parsePeriod(text)!;

/**
 * Properties of the pricing, for random usage, prices, tiers, minimums and credits of one
 * month. Each runs a few hundred cases; the file takes a few seconds.
 */
const PERIOD = month('2026-12');
const { from: START, to: END } = periodBounds(PERIOD);
const HOURS = (END - START) / 3_600_000;
const HOUR_MS = 3_600_000;
const SKUS = ['ip.dedicated', 'gpu.runtime/a10'] as const;
const acme = asCheckedOrg('acme');
const RUNS = { numRuns: 300 };

const decimal = (units: bigint, scale: number): string => {
  const digits = units.toString().padStart(scale + 1, '0');
  return Dec.of(scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`).toString();
};
const arbPrice = fc.oneof(
  fc.constantFrom('0', '0.01', '0.000694', '0.5', '3', '0.000000000001', '1.234567890123'),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 12 })).map(([u, s]) => decimal(u, s)),
);
/** Tiers whose bounds are whole or tenths (so a unit can straddle a boundary), strictly ascending, the last unbounded. */
const arbTiers = (whole: boolean): fc.Arbitrary<Tier[]> =>
  fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 1, max: whole ? 300 : 1200 }), { maxLength: 3 }),
      fc.array(arbPrice, { minLength: 4, maxLength: 4 }),
    )
    .map(([bounds, prices]) => [
      ...[...bounds]
        .sort((a, b) => a - b)
        .map((b, i) => ({ upTo: whole ? String(b) : decimal(BigInt(b), 1), unitPrice: prices[i]! })),
      { upTo: null, unitPrice: prices[3]! },
    ]);
const arbRate = (whole = false): fc.Arbitrary<Rate> =>
  fc.oneof(
    arbPrice.map((unitPrice): Rate => ({ kind: 'flat', unitPrice })),
    fc
      .tuple(fc.constantFrom('graduated' as const, 'volume' as const), arbTiers(whole))
      .map(([mode, tiers]): Rate => ({ kind: 'tiered', mode, tiers })),
  );

/** Per SKU a list entry from before the month and up to two more inside it; maybe contract entries of acme. */
const arbPrices = (whole = false): fc.Arbitrary<TermPriceEntry[]> =>
  fc
    .tuple(
      ...SKUS.map((sku) =>
        fc
          .tuple(
            arbRate(whole),
            fc.array(fc.tuple(fc.integer({ min: 1, max: HOURS - 1 }), arbRate(whole)), { maxLength: 2 }),
            fc.array(fc.tuple(fc.integer({ min: -48, max: HOURS - 1 }), arbRate(whole)), { maxLength: 2 }),
          )
          .map(([first, more, contract]) => {
            const out: TermPriceEntry[] = [];
            const seen = new Set<string>();
            const push = (org: typeof acme | null, h: number, rate: Rate) => {
              const k = `${org}:${h}`;
              if (seen.has(k)) return;
              seen.add(k);
              out.push({ id: `${sku}:${k}`, sku, org, effectiveFrom: START + h * HOUR_MS, unit: 'second', rate });
            };
            push(null, -24, first);
            for (const [h, r] of more) push(null, h, r);
            for (const [h, r] of contract) push(acme, h, r);
            return out;
          }),
      ),
    )
    .map((lists) => lists.flat());

const arbQuantity = (whole: boolean) =>
  whole
    ? fc.integer({ min: 0, max: 60 }).map(String)
    : fc.tuple(fc.bigInt({ min: 0n, max: 400_000n }), fc.integer({ min: 0, max: 3 })).map(([u, s]) => decimal(u, s));
const arbUsage = (whole = false, maxLength = 20): fc.Arbitrary<UsageSegment[]> =>
  fc.array(
    fc.record({
      sku: fc.constantFrom(...SKUS),
      hour: fc.integer({ min: 0, max: HOURS - 1 }).map((h) => START + h * HOUR_MS),
      quantity: arbQuantity(whole),
    }),
    { maxLength },
  );
const arbCommitments: fc.Arbitrary<Commitment[]> = fc.array(
  fc.record({
    org: fc.constant(acme),
    from: fc.constantFrom(month('2026-06'), month('2026-11'), month('2026-12'), month('2027-01')),
    // From cents to millions: usage of these prices costs anything in that range.
    monthlyMinimum: fc.oneof(
      fc.constant('0'),
      fc
        .tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 8 }))
        .map(([k, e]) => decimal(BigInt(k) * 10n ** BigInt(e), 2)),
    ),
  }),
  { maxLength: 2 },
);
const termsOf = (prices: TermPriceEntry[], commitments: Commitment[] = [], credits: CreditGrant[] = []) =>
  new Terms({ prices, commitments, credits });

/** Per (sku, unit price), or 'minimum': quantity and amount. */
function byKey(lines: readonly BilledLine[]): Map<string, { quantity: Dec; amount: Dec }> {
  const m = new Map<string, { quantity: Dec; amount: Dec }>();
  for (const l of lines) {
    if (l.kind === 'credit') continue;
    const k = l.kind === 'minimum' ? 'minimum' : `${l.sku}|${Dec.of(l.unit_price!).toString()}`;
    const prev = m.get(k) ?? { quantity: Dec.ZERO, amount: Dec.ZERO };
    m.set(k, { quantity: prev.quantity.add(Dec.of(l.quantity ?? '0')), amount: prev.amount.add(Dec.of(l.amount)) });
  }
  return m;
}
const nonZero = (m: Map<string, { quantity: Dec; amount: Dec }>) =>
  Object.fromEntries(
    [...m]
      .filter(([, v]) => !v.quantity.isZero() || !v.amount.isZero())
      .map(([k, v]) => [k, [v.quantity.toString(), v.amount.toFixed(2)]]),
  );

/** The contract's words, unit by unit: unit n of the month falls in the first tier whose up_to >= n. */
function unitByUnit(usage: readonly UsageSegment[], terms: Terms): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sku of SKUS) {
    const hours = usage.filter((s) => s.sku === sku).sort((a, b) => a.hour - b.hour);
    const total = hours.reduce((n, s) => n + Number(s.quantity), 0);
    let n = 0;
    for (const s of hours) {
      const entry = terms.entryAt(acme, sku, s.hour)!;
      for (let i = 0; i < Number(s.quantity); i++) {
        n++;
        const rate = entry.rate;
        const reach = rate.kind === 'tiered' && rate.mode === 'volume' ? total : n;
        const price =
          rate.kind === 'flat'
            ? rate.unitPrice
            : rate.tiers.find((t) => t.upTo === null || Number(t.upTo) >= reach)!.unitPrice;
        const k = `${sku}|${Dec.of(price).toString()}`;
        out[k] = String(Number(out[k] ?? 0) + 1);
      }
    }
  }
  return out;
}

describe('pricing properties', () => {
  it('the total is the sum of the lines and never negative; each usage line is its quantity × unit price rounded half-to-even to cents', () => {
    const arbGrant = fc.record({
      id: fc.uuid(),
      org: fc.constant(acme),
      amount: fc.constant('0'),
      remaining: fc.integer({ min: 0, max: 100_000 }).map((c) => decimal(BigInt(c), 2)),
      grantedAt: fc.integer({ min: -5, max: 5 }).map((d) => END + d * 86_400_000),
      expiresAt: fc.option(fc.integer({ min: -40, max: 400 }).map((d) => END + d * 86_400_000)),
      reason: fc.constant('r'),
    });
    fc.assert(
      fc.property(
        arbPrices(),
        arbUsage(),
        arbCommitments,
        fc.array(arbGrant, { maxLength: 4 }),
        (prices, usage, commitments, grants) => {
          const lines: TermsLine[] = priceMonth(acme, PERIOD, usage, termsOf(prices, commitments));
          for (const l of lines) {
            if (l.kind === 'usage') {
              expect(Dec.of(l.quantity).cmp(Dec.ZERO)).toBe(1);
              expect(l.amount).toBe(Dec.of(l.quantity).mul(Dec.of(l.unit_price)).roundHalfEven(2).toFixed(2));
            }
          }
          const credited = applyCredits(linesTotal(lines), grants, PERIOD, END + 3_600_000);
          const all = [...lines, ...credited.lines];
          expect(linesTotal(all).toFixed(2)).toBe(credited.total);
          expect(Dec.of(credited.total).cmp(Dec.ZERO)).toBeGreaterThanOrEqual(0);
        },
      ),
      RUNS,
    );
  });

  it("graduated and volume pricing of a month equals pricing its units one by one, in hour order, against the running total (or, volume, the month's total) in the entry in force at each hour", () => {
    fc.assert(
      fc.property(arbPrices(true), arbUsage(true), (prices, usage) => {
        const terms = termsOf(prices);
        const lines = priceUsage(acme, PERIOD, usage, terms);
        expect(Object.fromEntries(lines.map((l) => [`${l.sku}|${l.unit_price}`, l.quantity]))).toEqual(
          unitByUnit(usage, terms),
        );
      }),
      RUNS,
    );
  });

  it('a free first tier of N makes the first N units of the month cost 0, and only those', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }).map(String), arbPrice, arbUsage(false, 12), (n, price, usage) => {
        const tiers = [
          { upTo: n, unitPrice: '0' },
          { upTo: null, unitPrice: price },
        ];
        const prices: TermPriceEntry[] = SKUS.map((sku) => ({
          id: sku,
          sku,
          org: null,
          effectiveFrom: START,
          unit: 'second',
          rate: { kind: 'tiered', mode: 'graduated', tiers },
        }));
        const lines = priceUsage(acme, PERIOD, usage, termsOf(prices));
        for (const sku of SKUS) {
          const total = sumDec(usage.filter((s) => s.sku === sku).map((s) => Dec.of(s.quantity)));
          const over = total.cmp(Dec.of(n)) > 0 ? total.sub(Dec.of(n)) : Dec.ZERO;
          const amount = linesTotal(lines.filter((l) => l.sku === sku));
          expect(amount.toFixed(2)).toBe(over.mul(Dec.of(price)).toFixed(2));
          const free = sumDec(
            lines.filter((l) => l.sku === sku && Dec.of(l.unit_price).isZero()).map((l) => Dec.of(l.quantity)),
          );
          const firstN = total.cmp(Dec.of(n)) < 0 ? total : Dec.of(n);
          expect(free.toString()).toBe((Dec.of(price).isZero() ? total : firstN).toString());
        }
      }),
      RUNS,
    );
  });

  it("credits never exceed what they offset: Σ applied <= the total before credits, each <= its grant's remaining, only usable grants, each used up before the next", () => {
    const arbGrant = fc.record({
      id: fc.uuid(),
      org: fc.constant(acme),
      amount: fc.constant('0'),
      remaining: fc.integer({ min: 0, max: 50_000 }).map((c) => decimal(BigInt(c), 2)),
      grantedAt: fc.integer({ min: -100, max: 10 }).map((d) => END + d * 86_400_000),
      expiresAt: fc.option(fc.integer({ min: -40, max: 40 }).map((d) => END + d * 86_400_000)),
      reason: fc.constant('r'),
    });
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 200_000 }), fc.array(arbGrant, { maxLength: 6 }), (cents, grants) => {
        const before = Dec.of(decimal(BigInt(Math.abs(cents)), 2));
        const total = cents < 0 ? before.neg() : before;
        const closeTime = END + 86_400_000;
        const { lines, used, total: after } = applyCredits(total, grants, PERIOD, closeTime);
        const applied = sumDec(used.map((u) => Dec.of(u.amount)));
        expect(linesTotal(lines).toFixed(2)).toBe(applied.neg().toFixed(2));
        expect(applied.cmp(total.cmp(Dec.ZERO) > 0 ? total : Dec.ZERO)).toBeLessThanOrEqual(0);
        const usable = usableGrants(grants, END, closeTime);
        expect(used.map((u) => u.grantId)).toEqual(usable.slice(0, used.length).map((g) => g.id));
        used.forEach((u, i) => {
          const g = usable[i]!;
          expect(Dec.of(u.amount).cmp(Dec.of(g.remaining))).toBeLessThanOrEqual(0);
          expect(Dec.of(u.amount).cmp(Dec.ZERO)).toBe(1);
          if (i < used.length - 1) expect(u.amount).toBe(Dec.of(g.remaining).toFixed(2));
        });
        for (const g of usable) expect(g.expiresAt === null || g.expiresAt >= END).toBe(true);
        const available = sumDec(usable.map((g) => Dec.of(g.remaining)));
        const expected = total.cmp(Dec.ZERO) <= 0 ? total : total.cmp(available) > 0 ? total.sub(available) : Dec.ZERO;
        expect(after).toBe(expected.toFixed(2));
      }),
      RUNS,
    );
  });

  it('the lines do not depend on the order in which the segments arrive, nor on how an hour is split into segments', () => {
    fc.assert(
      fc.property(
        arbPrices(),
        arbCommitments,
        arbUsage().chain((usage) =>
          fc.tuple(
            fc.constant(usage),
            fc.shuffledSubarray(
              usage.flatMap((s) => {
                // Cut each segment in two at the same hour: an hour's usage can come from two rows.
                const q = Dec.of(s.quantity);
                const half = q.scaleBy(1n, 2n, 3);
                return [
                  { ...s, quantity: half.toString() },
                  { ...s, quantity: q.sub(half).toString() },
                ];
              }),
              { minLength: usage.length * 2, maxLength: usage.length * 2 },
            ),
          ),
        ),
        (prices, commitments, [usage, shuffled]) => {
          const terms = termsOf(prices, commitments);
          expect(priceMonth(acme, PERIOD, shuffled, terms)).toEqual(priceMonth(acme, PERIOD, usage, terms));
        },
      ),
      RUNS,
    );
  });

  it('after late usage, the billed lines and the adjustment lines add up, per (sku, unit price) and for the minimum, to pricing the final usage at once, to the cent', () => {
    fc.assert(
      fc.property(
        arbPrices(),
        arbCommitments,
        arbUsage(false, 12),
        arbUsage(false, 6),
        arbUsage(false, 6),
        (prices, commitments, u1, u2, u3) => {
          const terms = termsOf(prices, commitments);
          const billed: BilledLine[] = priceMonth(acme, PERIOD, u1, terms);
          const adj1 = repriceLateMonth(acme, PERIOD, [...u1, ...u2], terms, billed);
          const adj2 = repriceLateMonth(acme, PERIOD, [...u1, ...u2, ...u3], terms, [...billed, ...adj1]);
          for (const l of [...adj1, ...adj2]) expect(l.kind === 'adjustment' || l.kind === 'minimum').toBe(true);
          expect(nonZero(byKey([...billed, ...adj1, ...adj2]))).toEqual(
            nonZero(byKey(priceMonth(acme, PERIOD, [...u1, ...u2, ...u3], terms))),
          );
          // Nothing new, nothing billed.
          expect(repriceLateMonth(acme, PERIOD, [...u1, ...u2, ...u3], terms, [...billed, ...adj1, ...adj2])).toEqual(
            [],
          );
        },
      ),
      RUNS,
    );
  });
});
