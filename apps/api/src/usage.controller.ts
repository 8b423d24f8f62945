import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import type { Request, Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostRepository, labelColumn, TimeZoneRepository, UsageQuery, UsageRepository, UsageRow } from '@metering/db';
import { ReadEndpoint } from './read-endpoint';
import { iso, renderCsv, renderJson } from './render';
import type { Rendered } from './response-cache';
import { Format, ParsedUsageQuery, parseUsageQuery, RawQuery } from './usage-query';
import { OrgId } from '@metering/domain';

/** The usage answer as the wire carries it, JSON or CSV. */
export function renderUsage(org: OrgId, q: UsageQuery, found: UsageRow[], format: Format): Rendered {
  const keys = [...q.groupBy, ...(q.labelQuery?.labels ?? []).map(labelColumn), 'sku'];
  const rows = found.map((r) => {
    const out: Record<string, string | number> = { start: r.start, end: r.end };
    for (const k of keys) out[k] = (r as unknown as Record<string, string>)[k] ?? '';
    out['unit'] = unitOf(r.sku) ?? '';
    out['quantity'] = r.quantity;
    out['events'] = r.events;
    return out;
  });
  if (format === 'csv') return renderCsv(['start', 'end', ...keys, 'unit', 'quantity', 'events'], rows);
  return renderJson({ org, from: iso(q.from), to: iso(q.to), granularity: q.granularity, tz: q.tz, rows });
}

@Controller('v1/orgs/:org/usage')
export class UsageController {
  private readonly endpoint: ReadEndpoint<ParsedUsageQuery>;

  constructor(
    private readonly usage: UsageRepository,
    zones: TimeZoneRepository,
    costs: CostRepository,
    @Inject(METERING_CONFIG) config: MeteringConfig,
  ) {
    this.endpoint = new ReadEndpoint('usage', parseUsageQuery, zones, costs, config.readStalenessMs);
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
      renderUsage(org, query, await this.usage.usage(org, query), format),
    );
  }
}
