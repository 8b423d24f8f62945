import type { Terms } from './terms/terms';

/**
 * The commercial terms a close prices with, read in its snapshot and handed in: list and
 * contract price entries (flat or tiered), monthly minimums and credit grants with what
 * remains of them. A close records them (`terms.data`), so a replay prices with the same.
 */
export interface BillingTerms {
  terms: Terms;
}
