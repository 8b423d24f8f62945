import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import type { Request, Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostAnswer, CostQuery, CostRepository, CostRow, labelColumn, TimeZoneRepository } from '@metering/db';
import { ParsedCostQuery, parseCostQuery } from './cost-query';
import { ReadEndpoint } from './read-endpoint';
import { iso, renderCsv, renderJson } from './render';
import type { Rendered } from './response-cache';
import type { Format, RawQuery } from './usage-query';
import { Dec, OrgId } from '@metering/domain';

/** The answer as the wire carries it: amounts rounded half-to-even to cents, per row and in total. */
export function renderCosts(org: OrgId, q: CostQuery, answer: CostAnswer, format: Format): Rendered {
  const withSku = q.groupBy.includes('sku');
  const keys = [...q.groupBy, ...(q.labelQuery?.labels ?? []).map(labelColumn)];
  const rows = answer.rows.map((r) => {
    const out: Record<string, string> = { start: r.start, end: r.end };
    for (const k of keys) out[k] = r[k as keyof CostRow] ?? '';
    if (withSku) {
      out['unit'] = unitOf(r.sku ?? '') ?? '';
      out['quantity'] = r.quantity ?? '0';
    }
    out['amount'] = Dec.of(r.amount).toFixed(2);
    return out;
  });
  if (format === 'csv')
    return renderCsv(['start', 'end', ...keys, ...(withSku ? ['unit', 'quantity'] : []), 'amount'], rows);
  return renderJson({
    org,
    from: iso(q.from),
    to: iso(q.to),
    granularity: q.granularity,
    tz: q.tz,
    currency: 'USD',
    total: Dec.of(answer.total).toFixed(2),
    total_rows: answer.totalRows,
    rows,
  });
}

/**
 * Cost estimates: usage × the public price in force at each hour, grouped and filtered like
 * usage, with top-N (`order=amount&limit=20`). A viewer reads them: they are made only of
 * what a viewer already reads (usage and prices). Answered along the same path as usage
 * (ReadEndpoint): cached per organization and query, rendered and gzipped, until the
 * organization's usage in the months asked or the price book changes, with an ETag: a
 * dashboard's panels are the same few questions asked again and again.
 */
@Controller('v1/orgs/:org/costs')
export class CostsController {
  private readonly endpoint: ReadEndpoint<ParsedCostQuery>;

  constructor(
    private readonly costs: CostRepository,
    zones: TimeZoneRepository,
    @Inject(METERING_CONFIG) config: MeteringConfig,
  ) {
    this.endpoint = new ReadEndpoint('costs', parseCostQuery, zones, costs, config.readStalenessMs);
  }

  @Get()
  @OrgRole('viewer')
  async get(
    @CheckedOrg() org: OrgId,
    @Query() raw: RawQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.endpoint.serve(org, raw, req, res, async (query, format) =>
      renderCosts(org, query, await this.costs.costs(org, query), format),
    );
  }
}
