/**
 * Checked by `tsc --noEmit -p tsconfig.json`, never run: a tenant read given a plain string,
 * or no organization at all, does not compile. Each `@ts-expect-error` fails the type check
 * if the line under it ever compiles.
 */
import type { PoolClient } from 'pg';
import type { Terms } from '@metering/billing';
import { asCheckedOrg, parsePeriod } from '@metering/domain';
import type { AuditRepository } from './audit.repository';
import type { BillingRepository } from './billing.repository';
import type { CostRepository } from './cost.repository';
import type { DocumentsRepository } from './documents.repository';
import type { IdentityRepository } from './identity.repository';
import type { TermsRepository } from './terms.repository';
import type { UsageRepository } from './usage.repository';

export function tenantReadsNeedAnOrgId(
  documents: DocumentsRepository,
  billing: BillingRepository,
  usage: UsageRepository,
  costs: CostRepository,
  identities: IdentityRepository,
  audit: AuditRepository,
  terms: Terms,
  termsOf: TermsRepository,
  db: PoolClient,
  q: { usage: Parameters<UsageRepository['usage']>[1]; costs: Parameters<CostRepository['costs']>[1] },
): void {
  const slug: string = 'acme';
  const org = asCheckedOrg(slug);
  const period = parsePeriod('2026-10')!;

  void documents.invoice(org, 'INV-000001');
  // @ts-expect-error a plain string is no OrgId
  void documents.invoice(slug, 'INV-000001');
  // @ts-expect-error the organization cannot be left out: the operator's read has a name of its own
  void documents.invoice('INV-000001');
  void documents.invoiceForOperator('INV-000001');

  void documents.creditNote(org, 'CN-000002');
  // @ts-expect-error a plain string is no OrgId
  void documents.creditNote(slug, 'CN-000002');
  // @ts-expect-error a plain string is no OrgId
  void documents.invoices(slug);
  // @ts-expect-error a plain string is no OrgId
  void documents.creditNotes(slug);

  void billing.billableUsage(db, period, terms, org);
  // @ts-expect-error a plain string is no OrgId
  void billing.billableUsage(db, period, terms, slug);
  // @ts-expect-error the organization cannot be left out: reads of every organization say so in their name
  void billing.billableUsage(db, period, terms);
  void billing.billableUsageAllOrgs(db, period, terms);
  void billing.usageSegments(org, period, terms);
  // @ts-expect-error a plain string is no OrgId
  void billing.usageSegments(slug, period, terms);
  // @ts-expect-error a plain string is no Period
  void billing.billableUsage(db, '2026-10', terms, org);
  void termsOf.snapshot(org);
  // @ts-expect-error a plain string is no OrgId
  void termsOf.snapshot(slug);

  // @ts-expect-error a plain string is no OrgId
  void usage.usage(slug, q.usage);
  // @ts-expect-error a plain string is no OrgId
  void costs.costs(slug, q.costs);
  // @ts-expect-error a plain string is no OrgId
  void costs.watermark(slug, new Date(), new Date());
  // @ts-expect-error a plain string is no OrgId
  void identities.listMemberships(slug);
  // @ts-expect-error a plain string is no OrgId
  void audit.list(slug, { limit: 10 });
}
