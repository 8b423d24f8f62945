import { Controller, Get } from '@nestjs/common';
import { applyCredits, linesTotal, priceMonth, Terms } from '@metering/billing';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { BillingRepository, TermsRepository } from '@metering/db';
import { OrgId, periodBounds, periodOf } from '@metering/domain';
import { iso } from './render';

export interface CurrentUsage {
  org: string;
  period: string;
  from: string;
  to: string;
  as_of: string;
  currency: 'USD';
  lines: {
    kind: 'usage' | 'minimum' | 'credit';
    sku: string | null;
    unit: string | null;
    quantity: string | null;
    unit_price: string | null;
    amount: string;
  }[];
  total: string;
  /** The total if the rest of the month runs like the part so far. */
  forecast: string;
}

/** The open month so far, priced: what the customer's bill would say today. */
@Controller('v1/orgs/:org/usage/current')
export class CurrentUsageController {
  constructor(
    private readonly billing: BillingRepository,
    private readonly terms: TermsRepository,
  ) {}

  @Get()
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId): Promise<CurrentUsage> {
    const now = Date.now();
    const period = periodOf(now);
    const { from, to } = periodBounds(period);
    const terms = new Terms(await this.terms.snapshot(org));
    const priced = priceMonth(org, period, await this.billing.usageSegments(org, period, terms), terms);
    const credits = applyCredits(linesTotal(priced), terms.grantsOf(org), period, now).lines;
    const lines = [...priced, ...credits].map(({ kind, sku, unit, quantity, unit_price, amount }) => ({
      kind: kind === 'adjustment' ? ('usage' as const) : kind,
      sku,
      unit,
      quantity,
      unit_price,
      amount,
    }));
    const total = linesTotal(lines);
    const elapsed = BigInt(Math.max(1, now - from));
    return {
      org,
      period,
      from: iso(new Date(from)),
      to: iso(new Date(to)),
      as_of: new Date(now).toISOString(),
      currency: 'USD',
      lines,
      total: total.toFixed(2),
      forecast: total.scaleBy(BigInt(to - from), elapsed, 2).toFixed(2),
    };
  }
}
