/** One row of the effective-dated price book. */
export interface PriceEntry {
  sku: string;
  unit: string;
  unitPrice: string;
  effectiveFrom: number; // epoch ms
}

/** A stretch of time over which one unit price is in force. */
export interface PriceSpan {
  from: number;
  to: number;
  unitPrice: string;
}

export class MissingPriceError extends Error {}

/** The price book as of now: which price is in force for a SKU at each hour. */
export class PriceBook {
  private readonly bySku = new Map<string, PriceEntry[]>();

  constructor(entries: readonly PriceEntry[]) {
    for (const e of entries) this.bySku.set(e.sku, [...(this.bySku.get(e.sku) ?? []), e]);
    for (const list of this.bySku.values()) list.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  }

  unitOf(sku: string): string {
    const list = this.bySku.get(sku);
    if (!list) throw new MissingPriceError(`no price for '${sku}'`);
    return list[0]!.unit;
  }

  /** The prices in force over [from, to), in time order; throws if any of it has none. */
  spans(sku: string, from: number, to: number): PriceSpan[] {
    const list = this.bySku.get(sku) ?? [];
    const spans: PriceSpan[] = [];
    for (let i = 0; i < list.length; i++) {
      const start = Math.max(from, list[i]!.effectiveFrom);
      const end = Math.min(to, list[i + 1]?.effectiveFrom ?? Infinity);
      if (start < end) spans.push({ from: start, to: end, unitPrice: list[i]!.unitPrice });
    }
    if (spans.length === 0 || spans[0]!.from > from) {
      throw new MissingPriceError(`no price for '${sku}' in force at ${new Date(from).toISOString()}`);
    }
    return spans;
  }
}
