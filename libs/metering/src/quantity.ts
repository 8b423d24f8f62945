import { fromScaled, SCALE } from '@metering/catalog';

/**
 * Exact quantities without a bigint per event. A quantity of at most 15 integer digits and 9
 * fractional ones is held as two doubles that only ever hold integers: whole units (below
 * 10^15) and billionths (below 10^9). Integers below 2^53 are exact in a double, so sums of
 * them are exact too as long as they stay below 2^53; what would not is moved to a bigint.
 */
export const NANOS = 1_000_000_000;
const SAFE = Number.MAX_SAFE_INTEGER;
const FAST = /^\d{1,15}(?:\.\d{1,9})?$/;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/** [units, billionths] of a decimal quantity, or null when it needs the bigint path. */
export function splitQuantity(decimal: string): [number, number] | null {
  if (!FAST.test(decimal)) return null;
  const dot = decimal.indexOf('.');
  if (dot === -1) return [Number(decimal), 0];
  const fraction = decimal.slice(dot + 1);
  return [Number(decimal.slice(0, dot)), Number(fraction) * POW10[9 - fraction.length]!];
}

/** The running sums of buckets, one slot per bucket: units and billionths as doubles, overflow as bigint. */
export class ExactSums {
  private readonly units: number[] = [];
  private readonly nanos: number[] = [];
  private readonly overflow: bigint[] = [];

  get length(): number {
    return this.units.length;
  }

  /** A new slot at zero; returns its index. */
  open(): number {
    this.units.push(0);
    this.nanos.push(0);
    return this.units.length - 1;
  }

  add(slot: number, units: number, nanos: number): void {
    let u = this.units[slot]! + units;
    if (u > SAFE) {
      this.spill(slot);
      u = units;
    }
    let n = this.nanos[slot]! + nanos;
    if (n >= NANOS) {
      n -= NANOS;
      if (u === SAFE) {
        this.units[slot] = u;
        this.spill(slot);
        u = 0;
      }
      u += 1;
    }
    this.units[slot] = u;
    this.nanos[slot] = n;
  }

  /** Adds a quantity in billionths (the bigint path). */
  addScaled(slot: number, scaled: bigint): void {
    this.overflow[slot] = (this.overflow[slot] ?? 0n) + scaled;
  }

  /** Adds slot `from` of `other` into `slot`. */
  addSlot(slot: number, other: ExactSums, from: number): void {
    this.add(slot, other.units[from]!, other.nanos[from]!);
    const big = other.overflow[from];
    if (big !== undefined) this.addScaled(slot, big);
  }

  /** The slot's sum as a canonical decimal string. */
  format(slot: number): string {
    const units = this.units[slot]!;
    const nanos = this.nanos[slot]!;
    const big = this.overflow[slot];
    if (big !== undefined) return fromScaled(big + BigInt(units) * SCALE + BigInt(nanos));
    if (nanos === 0) return String(units);
    return `${units}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  }

  private spill(slot: number): void {
    this.addScaled(slot, BigInt(this.units[slot]!) * SCALE);
    this.units[slot] = 0;
  }
}
