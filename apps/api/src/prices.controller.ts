import { Controller, Get } from '@nestjs/common';
import { CheckedOrg, OrgRole, SignedIn } from '@metering/auth';
import { applicablePrices, Terms, TermPriceEntry } from '@metering/billing';
import { CommercialTermsRepository, CreditGrantView, TermsRepository } from '@metering/db';
import type { OrgId } from '@metering/domain';

/** A price on the API: a flat entry has its unit_price; a tiered one its tiers and mode, unit_price null. */
export interface PriceView {
  sku: string;
  unit: string;
  unit_price: string | null;
  effective_from: string;
  tiers?: { up_to: string | null; unit_price: string }[];
  tier_mode?: 'graduated' | 'volume';
}

function priceView(e: TermPriceEntry): PriceView {
  const base = {
    sku: e.sku,
    unit: e.unit,
    effective_from: new Date(e.effectiveFrom).toISOString().replace('.000Z', 'Z'),
  };
  if (e.rate.kind === 'flat')
    return { sku: base.sku, unit: base.unit, unit_price: e.rate.unitPrice, effective_from: base.effective_from };
  return {
    ...base,
    unit_price: null,
    tiers: e.rate.tiers.map((t) => ({ up_to: t.upTo, unit_price: t.unitPrice })),
    tier_mode: e.rate.mode,
  };
}

/** The list price book: public to every signed-in caller; never a contract price. */
@Controller('v1/prices')
export class PricesController {
  constructor(private readonly terms: CommercialTermsRepository) {}

  @Get()
  @SignedIn()
  async list(): Promise<PriceView[]> {
    return (await this.terms.listPriceBook()).map(priceView);
  }
}

/** What one organization pays, and the credit it holds. */
@Controller('v1/orgs/:org')
export class OrgTermsController {
  constructor(
    private readonly snapshots: TermsRepository,
    private readonly terms: CommercialTermsRepository,
  ) {}

  /** Per SKU, the entry in force now and those scheduled to follow: its contract's where it has one, else the list's. */
  @Get('prices')
  @OrgRole('viewer')
  async prices(@CheckedOrg() org: OrgId): Promise<(PriceView & { source: 'list' | 'contract' })[]> {
    const terms = new Terms(await this.snapshots.snapshot(org));
    return applicablePrices(terms, org, Date.now()).map(({ entry, source }) => ({ ...priceView(entry), source }));
  }

  @Get('credits')
  @OrgRole('billing')
  credits(@CheckedOrg() org: OrgId): Promise<CreditGrantView[]> {
    return this.terms.creditsOf(org);
  }
}
