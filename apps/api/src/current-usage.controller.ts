import { Controller, Get } from '@nestjs/common';
import { invoiceLines } from '@metering/billing';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { BillingRepository } from '@metering/db';
import { Dec, OrgId, periodBounds, periodOf } from '@metering/domain';
import { iso } from './render';

export interface CurrentUsage {
  org: string;
  period: string;
  from: string;
  to: string;
  as_of: string;
  currency: 'USD';
  lines: { sku: string; unit: string; quantity: string; unit_price: string; amount: string }[];
  total: string;
  /** The total if the rest of the month runs like the part so far. */
  forecast: string;
}

/** The open month so far, priced: what the customer's bill would say today. */
@Controller('v1/orgs/:org/usage/current')
export class CurrentUsageController {
  constructor(private readonly billing: BillingRepository) {}

  @Get()
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId): Promise<CurrentUsage> {
    const now = Date.now();
    const period = periodOf(now);
    const { from, to } = periodBounds(period);
    const book = await this.billing.priceBook();
    const projected = await this.billing.projectedFor(org, period, book);
    const lines = invoiceLines(period, projected, [], (sku) => book.unitOf(sku)).map(
      ({ sku, unit, quantity, unit_price, amount }) => ({ sku, unit, quantity, unit_price, amount }),
    );
    const total = lines.reduce((s, l) => s.add(Dec.of(l.amount)), Dec.ZERO);
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
