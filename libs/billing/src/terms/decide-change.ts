import { periodBounds, type Period } from '@metering/domain';
import type { Commitment, TermPriceEntry } from './types';
import type { NewPriceEntry } from './validate-price';

/**
 * What a change of the terms would do, decided from what was read under the billing lock: the
 * last closed month and the entries already there. The service writes what these answer (or,
 * in a dry run, only says it); the 409s of the contract are the `refused` answers.
 */
export type TermsRefusal =
  | { kind: 'refused'; reason: 'closed-month'; message: string }
  | { kind: 'refused'; reason: 'duplicate'; message: string }
  | { kind: 'refused'; reason: 'in-force'; message: string };

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The first instant that no close has invoiced: the end of the last closed month (null: none closed). */
export function closedUntil(lastClosed: Period | null): number | null {
  return lastClosed === null ? null : periodBounds(lastClosed).to;
}

export type PriceSetDecision<E extends TermPriceEntry = TermPriceEntry> =
  { kind: 'price-set'; entry: NewPriceEntry; replaces: E | null } | TermsRefusal;

/**
 * A new price entry, given the entries of the same (sku, org) and the last closed month. It
 * replaces the entry of that (sku, org) in force at its `effectiveFrom` (from then until its own
 * next entry), if there is one.
 */
export function decidePriceSet<E extends TermPriceEntry>(
  entry: NewPriceEntry,
  given: { lastClosed: Period | null; sameKey: readonly E[] },
): PriceSetDecision<E> {
  const until = closedUntil(given.lastClosed);
  if (until !== null && entry.effectiveFrom < until)
    return {
      kind: 'refused',
      reason: 'closed-month',
      message: `effective_from ${iso(entry.effectiveFrom)} falls inside or before ${given.lastClosed}, a closed month: prices may change from ${iso(until)} on`,
    };
  const same = given.sameKey.filter((e) => e.sku === entry.sku && e.org === entry.org);
  if (same.some((e) => e.effectiveFrom === entry.effectiveFrom))
    return {
      kind: 'refused',
      reason: 'duplicate',
      message: `there is already an entry for ${entry.sku} (${entry.org ?? 'list price'}) from ${iso(entry.effectiveFrom)}; remove it first or choose another hour`,
    };
  let replaces: E | null = null;
  for (const e of same)
    if (e.effectiveFrom < entry.effectiveFrom && (replaces === null || e.effectiveFrom > replaces.effectiveFrom))
      replaces = e;
  return { kind: 'price-set', entry, replaces };
}

export type PriceRemovalDecision<E extends TermPriceEntry = TermPriceEntry> =
  { kind: 'price-removed'; entry: E } | { kind: 'unknown' } | TermsRefusal;

/** Removing an entry: only one not yet in force at `now` (an entry in force may have priced usage). */
export function decidePriceRemoval<E extends TermPriceEntry>(
  entry: E | undefined,
  now: number,
): PriceRemovalDecision<E> {
  if (entry === undefined) return { kind: 'unknown' };
  if (entry.effectiveFrom <= now)
    return {
      kind: 'refused',
      reason: 'in-force',
      message: `price entry ${entry.id} (${entry.sku}, ${entry.org ?? 'list price'}) is in force since ${iso(entry.effectiveFrom)}: only an entry not yet in force may be removed; add a later entry instead`,
    };
  return { kind: 'price-removed', entry };
}

export type CommitmentDecision<C extends Commitment> =
  { kind: 'commitment-set'; commitment: Commitment; replaces: C | null } | TermsRefusal;

/**
 * A new monthly minimum, given the organization's commitments in the order they were made. It
 * replaces the one in force in its `from` month: the latest `from` not after it, of those the
 * last made.
 */
export function decideCommitment<C extends Commitment>(
  commitment: Commitment,
  given: { lastClosed: Period | null; existing: readonly C[] },
): CommitmentDecision<C> {
  if (given.lastClosed !== null && commitment.from <= given.lastClosed)
    return {
      kind: 'refused',
      reason: 'closed-month',
      message: `from ${commitment.from} is a closed month (closed through ${given.lastClosed}): a commitment may start from a month not yet closed`,
    };
  let replaces: C | null = null;
  for (const c of given.existing)
    if (c.org === commitment.org && c.from <= commitment.from && (replaces === null || c.from >= replaces.from))
      replaces = c;
  return { kind: 'commitment-set', commitment, replaces };
}
