/** Thrown at load when the catalog data is inconsistent. It lists every problem at once so a
 *  data change can be fixed in one pass rather than one deploy per typo. */
export class CatalogError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: readonly string[],
  ) {
    super(`${origin} is not a valid meter catalog:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CatalogError';
  }
}
