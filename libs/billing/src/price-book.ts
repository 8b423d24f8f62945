/** Usage at an hour where its SKU has no price entry in force: refused rather than billed at zero. */
export class MissingPriceError extends Error {}
