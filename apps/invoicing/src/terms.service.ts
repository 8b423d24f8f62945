import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  decideCommitment,
  decidePriceRemoval,
  decidePriceSet,
  NewPriceEntry,
  TermsRefusal,
  validateCommitmentBody,
  validateCreditBody,
  validatePriceBody,
} from '@metering/billing';
import { unitOf } from '@metering/catalog';
import {
  audit,
  BillingLock,
  CommercialTermsRepository,
  CommitmentView,
  commitmentView,
  CreditGrantView,
  IdentityRepository,
  PriceEntryView,
  priceEntryView,
} from '@metering/db';
import { asOperatorOrg, OrgId } from '@metering/domain';
import { TermsConflictError, TermsInputError, TermsNotFoundError } from './terms-errors';

/** Who makes a change, as the audit log names them, and through what (the HTTP API or the CLI). */
export interface ChangeAuthor {
  actor: string;
  via: 'api' | 'cli';
}

/**
 * A change made, or in a dry run only described: what it writes (in a dry run without the id
 * and times the store would give it) and what it replaces, if anything.
 */
export interface TermsChange<T> {
  dryRun: boolean;
  value: T;
  replaces: T | null;
}

export type PricePreview = Omit<PriceEntryView, 'id' | 'created_at'> & { id: string | null; created_at: string | null };
export type CommitmentPreview = Omit<CommitmentView, 'id' | 'created_at'> & {
  id: string | null;
  created_at: string | null;
};
export type CreditPreview = Omit<CreditGrantView, 'id' | 'granted_at'> & {
  id: string | null;
  granted_at: string | null;
};

const UNIQUE_VIOLATION = '23505';
const INTEGRITY_CONSTRAINT_VIOLATION = '23000'; // the append-only and not-retroactive triggers
const pgCode = (e: unknown) => (e as { code?: unknown }).code;

function refuse(d: TermsRefusal): never {
  throw new TermsConflictError(d.reason, d.message);
}

function previewOf(e: NewPriceEntry, createdBy: string): PricePreview {
  return {
    ...priceEntryView({ ...e, id: '', createdAt: '', createdBy }),
    id: null,
    created_at: null,
  };
}

/**
 * The commercial terms as the billing team changes them, for the HTTP endpoints and the CLI
 * alike: validate, read under the billing lock (so a change and a close of its month serialize),
 * decide (libs/billing), write with its audit entry in the same transaction. A dry run reads and
 * decides the same way, in a read-only snapshot, and writes nothing.
 */
@Injectable()
export class TermsService {
  constructor(
    private readonly terms: CommercialTermsRepository,
    private readonly identities: IdentityRepository,
    private readonly lock: BillingLock,
  ) {}

  /** `POST /v1/billing/prices`, `billing price set`. */
  async setPrice(
    body: unknown,
    who: ChangeAuthor,
    opts: { dryRun?: boolean } = {},
  ): Promise<TermsChange<PricePreview>> {
    const org = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['org'] : undefined;
    const orgKnown = typeof org === 'string' && org !== '' && (await this.identities.organizationExists(org));
    const checked = validatePriceBody(body, { unitOf, orgExists: (o) => orgKnown && o === org });
    if (!checked.ok) throw new TermsInputError(checked.faults, 'the price entry has errors');
    const entry = checked.value;
    return this.change(opts.dryRun, async (client, dryRun) => {
      const decision = decidePriceSet(entry, {
        lastClosed: await this.terms.lastClosedPeriod(client),
        sameKey: await this.terms.entriesOf(entry.sku, entry.org, client),
      });
      if (decision.kind === 'refused') refuse(decision);
      const replaces = decision.replaces && priceEntryView(decision.replaces);
      if (dryRun) return { dryRun, value: previewOf(entry, who.actor), replaces };
      const created = priceEntryView(
        await this.terms.insertPrice(entry, who.actor, client).catch((e: unknown) => {
          throw this.conflictOf(e, 'duplicate');
        }),
      );
      await audit(client, {
        org: entry.org,
        actor: who.actor,
        action: 'price.set',
        subject: created.id,
        details: { via: who.via, entry: created, replaces },
      });
      return { dryRun, value: created, replaces };
    });
  }

  /** `DELETE /v1/billing/prices/{id}`, `billing price rm`: what was removed (`value`, and `replaces`, the same). */
  async removePrice(
    id: string,
    who: ChangeAuthor,
    opts: { dryRun?: boolean } = {},
  ): Promise<TermsChange<PriceEntryView>> {
    return this.change(opts.dryRun, async (client, dryRun) => {
      const found = await this.terms.priceEntry(id, client);
      const decision = decidePriceRemoval(found, Date.now());
      if (decision.kind === 'unknown') throw new TermsNotFoundError(`no price entry ${id}`);
      if (decision.kind === 'refused') refuse(decision);
      const removed = priceEntryView(decision.entry);
      if (!dryRun) {
        const gone = await this.terms.removeScheduledPrice(id, client).catch((e: unknown) => {
          throw this.conflictOf(e, 'in-force');
        });
        if (!gone) throw new TermsNotFoundError(`no price entry ${id}`);
        await audit(client, {
          org: removed.org,
          actor: who.actor,
          action: 'price.remove',
          subject: removed.id,
          details: { via: who.via, removed },
        });
      }
      return { dryRun, value: removed, replaces: removed };
    });
  }

  /** `GET /v1/billing/prices[?org=]`: every entry, scheduled ones too, or only `org`'s contract entries. */
  async listPrices(org?: string): Promise<PriceEntryView[]> {
    const only = org === undefined ? undefined : await this.knownOrg(org);
    return (await this.terms.priceEntries(only === undefined ? {} : { org: only })).map(priceEntryView);
  }

  /** `POST /v1/billing/orgs/{org}/commitments`, `billing commit set`. */
  async setCommitment(
    slug: string,
    body: unknown,
    who: ChangeAuthor,
    opts: { dryRun?: boolean } = {},
  ): Promise<TermsChange<CommitmentPreview>> {
    const org = await this.knownOrg(slug);
    const checked = validateCommitmentBody(org, body);
    if (!checked.ok) throw new TermsInputError(checked.faults, 'the commitment has errors');
    return this.change(opts.dryRun, async (client, dryRun) => {
      const decision = decideCommitment(checked.value, {
        lastClosed: await this.terms.lastClosedPeriod(client),
        existing: await this.terms.commitmentsOf(org, client),
      });
      if (decision.kind === 'refused') refuse(decision);
      const replaces = decision.replaces && commitmentView(decision.replaces);
      if (dryRun) {
        const c = checked.value;
        return {
          dryRun,
          value: {
            id: null,
            org: c.org,
            monthly_minimum: c.monthlyMinimum,
            from: c.from,
            created_at: null,
            created_by: who.actor,
          },
          replaces,
        };
      }
      const created = commitmentView(
        await this.terms.insertCommitment(checked.value, who.actor, client).catch((e: unknown) => {
          throw this.conflictOf(e, 'closed-month');
        }),
      );
      await audit(client, {
        org,
        actor: who.actor,
        action: 'commitment.set',
        subject: created.id,
        details: { via: who.via, commitment: created, replaces },
      });
      return { dryRun, value: created, replaces };
    });
  }

  async listCommitments(slug: string): Promise<CommitmentView[]> {
    return (await this.terms.commitmentsOf(await this.knownOrg(slug))).map(commitmentView);
  }

  /** `POST /v1/billing/orgs/{org}/credits`, `billing credit grant`. A grant replaces nothing. */
  async grantCredit(
    slug: string,
    body: unknown,
    who: ChangeAuthor,
    opts: { dryRun?: boolean } = {},
  ): Promise<TermsChange<CreditPreview>> {
    const org = await this.knownOrg(slug);
    const checked = validateCreditBody(body);
    if (!checked.ok) throw new TermsInputError(checked.faults, 'the credit grant has errors');
    const g = checked.value;
    const expires = g.expiresAt === null ? null : new Date(g.expiresAt).toISOString().replace('.000Z', 'Z');
    if (opts.dryRun)
      return {
        dryRun: true,
        value: {
          id: null,
          org,
          amount: g.amount,
          remaining: g.amount,
          reason: g.reason,
          granted_at: null,
          expires_at: expires,
        },
        replaces: null,
      };
    // Under the billing lock: a close applies the grants made before it, so a grant is before or after a close, never during.
    return this.lock.underLock(async (client) => {
      const created = await this.terms.insertCredit(org, g, who.actor, client);
      await audit(client, {
        org,
        actor: who.actor,
        action: 'credit.grant',
        subject: created.id,
        details: { via: who.via, grant: created },
      });
      return { dryRun: false, value: created, replaces: null };
    });
  }

  async listCredits(slug: string): Promise<CreditGrantView[]> {
    return this.terms.creditsOf(await this.knownOrg(slug));
  }

  private async knownOrg(slug: string): Promise<OrgId> {
    if (!(await this.identities.organizationExists(slug))) throw new TermsNotFoundError(`no organization ${slug}`);
    return asOperatorOrg(slug);
  }

  /** Writes under the billing lock; a dry run reads the same in a read-only snapshot, without waiting for a close. */
  private change<T>(dryRun: boolean | undefined, fn: (client: PoolClient, dryRun: boolean) => Promise<T>): Promise<T> {
    return dryRun ? this.lock.inSnapshot((c) => fn(c, true)) : this.lock.underLock((c) => fn(c, false));
  }

  /** A refusal by the database itself (a race the reads did not see) as the contract's 409. */
  private conflictOf(e: unknown, reason: TermsConflictError['reason']): unknown {
    if (pgCode(e) === UNIQUE_VIOLATION) return new TermsConflictError('duplicate', 'the same entry exists already');
    if (pgCode(e) === INTEGRITY_CONSTRAINT_VIOLATION)
      return new TermsConflictError(reason, e instanceof Error ? e.message : String(e));
    return e;
  }
}
