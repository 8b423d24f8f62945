import { Injectable } from '@nestjs/common';
import { IdentityRepository } from '@metering/db';

const RELOAD_MS = 60_000;

/**
 * The known organization slugs, held in memory so that validating 10,000 events costs no
 * database round trip per event. Slugs not in memory are looked up together, once per
 * request, so an organization created a second ago is accepted at once.
 */
@Injectable()
export class OrgDirectory {
  private known = new Set<string>();
  private loadedAt = 0;
  // One reload at a time: requests arriving while it runs share it instead of each reading all slugs.
  private reloading: Promise<void> | null = null;

  constructor(private readonly identities: IdentityRepository) {}

  /** The subset of `slugs` that are organizations. */
  async resolve(slugs: ReadonlySet<string>): Promise<Set<string>> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    const out = new Set<string>();
    const missing: string[] = [];
    for (const slug of slugs) {
      if (this.known.has(slug)) out.add(slug);
      else missing.push(slug);
    }
    if (missing.length > 0) {
      for (const slug of await this.identities.existingOrganizations(missing)) {
        this.known.add(slug);
        out.add(slug);
      }
    }
    return out;
  }

  private reload(): Promise<void> {
    this.reloading ??= this.identities
      .organizationSlugs()
      .then((slugs) => {
        this.known = new Set(slugs);
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.reloading = null;
      });
    return this.reloading;
  }
}
