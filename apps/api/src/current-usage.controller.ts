import { Controller, Get, Inject } from '@nestjs/common';
import { estimateMonth, TermsLine } from '@metering/billing';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostRepository } from '@metering/db';
import { OrgId, periodBounds, periodOf } from '@metering/domain';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { BoundedAnswers } from './bounded-staleness';
import { iso } from './render';

/** A line as the invoice would have it: `usage` per (sku, unit price), a tiered SKU one per tier reached; `minimum` and `credit` lines are money only. */
export interface CurrentLine {
  kind: TermsLine['kind'];
  sku: string | null;
  unit: string | null;
  quantity: string | null;
  unit_price: string | null;
  amount: string;
  description: string;
}

export interface CurrentUsage {
  org: string;
  period: string;
  from: string;
  to: string;
  as_of: string;
  currency: 'USD';
  lines: CurrentLine[];
  /** Σ lines, never below zero (credits stop there). */
  total: string;
  /** The total if the rest of the month runs like the part so far, priced and credited the same way. */
  forecast: string;
}

/**
 * The open month so far, priced under the organization's own terms (contract prices, tiers,
 * its minimum, the credits a close would draw on): what the customer's bill would say today.
 * Computed once for all concurrent readers of an organization and served while at most
 * READ_STALENESS_MS old (`as_of` says when it was computed).
 */
@Controller('v1/orgs/:org/usage/current')
export class CurrentUsageController {
  private readonly answers: BoundedAnswers<CurrentUsage>;

  constructor(
    private readonly costs: CostRepository,
    @Inject(METERING_CONFIG) config: MeteringConfig,
  ) {
    this.answers = new BoundedAnswers(config.readStalenessMs);
  }

  @Get()
  @OrgRole('viewer')
  get(@CheckedOrg() org: OrgId): Promise<CurrentUsage> {
    return this.answers.get(org, () => this.compute(org));
  }

  private async compute(org: OrgId): Promise<CurrentUsage> {
    const now = Date.now();
    const period = periodOf(now);
    const { from, to } = periodBounds(period);
    const { terms, usage } = await this.costs.currentMonth(org, period);
    const estimate = estimateMonth(org, period, usage, terms, now);
    return {
      org,
      period,
      from: iso(new Date(from)),
      to: iso(new Date(to)),
      as_of: new Date(now).toISOString(),
      currency: 'USD',
      lines: estimate.lines.map(({ kind, sku, unit, quantity, unit_price, amount, description }) => ({
        kind,
        sku,
        unit,
        quantity,
        unit_price,
        amount,
        description,
      })),
      total: estimate.total,
      forecast: estimate.forecast,
    };
  }
}
