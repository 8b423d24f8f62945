import type { PriceBook } from './price-book';

/**
 * The commercial terms a close prices with, read in its snapshot and handed in: today the
 * public price book (per-SKU unit prices, effective-dated); contract prices, tiers, minimums
 * and credits join it here.
 */
export interface BillingTerms {
  priceBook: PriceBook;
}
