import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostGranularity, CostRepository, CostRow, ResourceRepository, TimeZoneRepository } from '@metering/db';
import { Dec, OrgId } from '@metering/domain';
import { badRequest, METERING_CONFIG, MeteringConfig, notFound } from '@metering/service';
import { ReadEndpoint, Resolved } from './read-endpoint';
import { iso, renderCsv, renderJson } from './render';
import { ResourceIndex } from './resource-index';
import { decodeCursor, encodeCursor, matcherOf, page, queryFingerprint, ResourceSummary } from './resource-pages';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  ParsedResourceHistory,
  ParsedResourceList,
  parseResourceHistory,
  parseResourceList,
} from './resource-query';
import type { Rendered } from './response-cache';
import type { Format, RawQuery } from './usage-query';

const cents = (d: Dec) => d.toFixed(2);

function wireSummary(s: ResourceSummary) {
  const main = s.skus[0];
  return {
    resource: s.resource,
    region: s.region,
    app: s.app,
    skus: s.skus.map((k) => k.sku),
    // Quantities of different units do not add up: the costliest SKU's, with its unit.
    quantity: main ? main.quantity.toString() : '0',
    unit: main?.unit ?? '',
    cost: cents(s.cost),
    by_sku: s.skus.map((k) => ({ sku: k.sku, unit: k.unit, quantity: k.quantity.toString(), cost: cents(k.cost) })),
  };
}

const WINDOW_QUERY = [
  { name: 'from', required: true, description: 'RFC 3339, or a date in tz; inclusive' },
  { name: 'to', required: true, description: 'exclusive; at most 400 days after from' },
  { name: 'tz', required: false, description: 'IANA zone for dates given without an offset (default UTC)' },
];

/**
 * Machines at scale: an organization's resources in a window, searched, sorted and paged by a
 * keyset cursor (GET /v1/orgs/{org}/resources), and one resource's usage and cost over time
 * (GET /v1/orgs/{org}/resources/{resource}). Costs are the costs endpoint's own (same query,
 * same terms); the list is built once per window and data version (ResourceIndex), so a search
 * or a next page is answered from memory.
 */
@ApiTags('resources')
@ApiBearerAuth()
@Controller('v1/orgs/:org/resources')
export class ResourcesController {
  private readonly list: ReadEndpoint<ParsedResourceList>;
  private readonly history: ReadEndpoint<ParsedResourceHistory>;
  private readonly index: ResourceIndex;

  constructor(
    private readonly costs: CostRepository,
    private readonly resources: ResourceRepository,
    zones: TimeZoneRepository,
    @Inject(METERING_CONFIG) config: MeteringConfig,
  ) {
    this.list = new ReadEndpoint('resources', parseResourceList, zones, costs, config.readStalenessMs);
    this.history = new ReadEndpoint('resource', parseResourceHistory, zones, costs, config.readStalenessMs);
    this.index = new ResourceIndex(costs);
  }

  @Get()
  @OrgRole('viewer')
  @ApiOperation({
    summary: "The organization's resources in a window, with cost, searched and paged",
    description:
      'sort=cost: highest cost first, ties by resource id; sort=resource: ascending id. Pass next_cursor back as ' +
      'cursor with the same parameters (limit may change) for the next page; a cursor of another query is 400. ' +
      'The cursor is a position, not an offset: with sort=resource no resource is skipped or repeated while usage ' +
      'is folded between pages; with sort=cost none is repeated while costs only grow, but one whose cost rises ' +
      "past the cursor's between pages is not shown again on later pages. The list may be up to 5 s behind the " +
      'projections while a newer one is priced.',
  })
  @ApiParam({ name: 'org' })
  @ApiQuery(WINDOW_QUERY[0]!)
  @ApiQuery(WINDOW_QUERY[1]!)
  @ApiQuery(WINDOW_QUERY[2]!)
  @ApiQuery({ name: 'q', required: false, description: 'a prefix of the resource id' })
  @ApiQuery({ name: 'match', required: false, enum: ['prefix', 'contains'], description: 'how q matches (prefix)' })
  @ApiQuery({ name: 'resource', required: false, isArray: true, type: String, description: 'only these ids' })
  @ApiQuery({ name: 'region', required: false, isArray: true, type: String })
  @ApiQuery({ name: 'app', required: false, isArray: true, type: String })
  @ApiQuery({ name: 'sku', required: false, isArray: true, type: String })
  @ApiQuery({ name: 'sort', required: false, enum: ['cost', 'resource'] })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiOkResponse({
    description:
      '{"resources":[{"resource","region","app","skus":[...],"quantity","unit","cost","by_sku":[{"sku","unit","quantity","cost"}]}],' +
      '"matched","next_cursor"}: quantity and unit are those of the costliest SKU; region and app where most of the cost was',
  })
  @ApiBadRequestResponse({ description: 'problem details naming each bad parameter' })
  async getList(
    @CheckedOrg() org: OrgId,
    @Query() raw: RawQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    // Not through the answer cache: pages come from the index's memory in a few milliseconds,
    // and one rendered from a list kept while a newer one is priced must not outlive it.
    const { query } = await this.list.resolved(req.url, raw);
    const answer = await this.renderList(org, query);
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(answer.contentType).send(answer.body);
  }

  @Get(':resource')
  @OrgRole('viewer')
  @ApiOperation({ summary: "One resource's usage and cost over time, per SKU" })
  @ApiParam({ name: 'org' })
  @ApiParam({ name: 'resource' })
  @ApiQuery(WINDOW_QUERY[0]!)
  @ApiQuery(WINDOW_QUERY[1]!)
  @ApiQuery(WINDOW_QUERY[2]!)
  @ApiQuery({ name: 'granularity', required: false, enum: ['hour', 'day', 'month'] })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiOkResponse({
    description:
      '{"resource","region","app","last_hour","skus","by_sku":[{"sku","unit","quantity","cost"}],"total",' +
      '"rows":[{"start","end","sku","unit","quantity","cost","cost_exact"}]}: cost rounded to the cent, cost_exact not',
  })
  @ApiBadRequestResponse({ description: 'problem details naming each bad parameter' })
  @ApiNotFoundResponse({ description: 'the organization never had usage of this resource' })
  async getOne(
    @CheckedOrg() org: OrgId,
    @Param('resource') resource: string,
    @Query() raw: RawQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.history.serve(org, { ...raw, resource }, req, res, (query, format) =>
      this.renderHistory(org, query.resource, query, format),
    );
  }

  private async renderList(org: OrgId, q: Resolved<ParsedResourceList>): Promise<Rendered> {
    const fingerprint = queryFingerprint([
      org,
      q.from.toISOString(),
      q.to.toISOString(),
      q.filters,
      q.q,
      q.resources,
      q.match,
      q.sort,
    ]);
    let after = null;
    if (q.cursor !== null) {
      const decoded = decodeCursor(q.cursor, fingerprint, q.sort);
      if (!decoded.ok) throw badRequest('invalid query parameters', [decoded.fault]);
      after = decoded.position;
    }
    const all = await this.index.summaries(org, { from: q.from, to: q.to, filters: q.filters }, q.sort);
    const matches = matcherOf(q.q, q.match, q.resources);
    const found = page(all, { sort: q.sort, matches, limit: q.limit, after });
    const matched = q.q === '' && q.resources.length === 0 ? all.length : all.filter(matches).length;
    return renderJson({
      org,
      from: iso(q.from),
      to: iso(q.to),
      currency: 'USD',
      sort: q.sort,
      matched,
      resources: found.resources.map(wireSummary),
      next_cursor: found.next ? encodeCursor(fingerprint, found.next) : null,
    });
  }

  private async renderHistory(
    org: OrgId,
    resource: string,
    q: Resolved<ParsedResourceHistory>,
    format: Format,
  ): Promise<Rendered> {
    const place = await this.resources.placeOf(org, resource);
    if (!place) throw notFound(`no resource '${resource}' in this organization`);
    const asked = (granularity: CostGranularity) =>
      this.costs.costs(org, {
        from: q.from,
        to: q.to,
        granularity,
        tz: q.tz,
        groupBy: ['sku'],
        filters: { resource: [resource], region: [], app: [], sku: [] },
        order: 'time',
        limit: null,
      });
    const [answer, totals] = await Promise.all([asked(q.granularity), asked('total')]);
    const line = (r: CostRow) => ({
      sku: r.sku ?? '',
      unit: unitOf(r.sku ?? '') ?? '',
      quantity: r.quantity ?? '0',
      cost: cents(Dec.of(r.amount)),
    });
    // A machine's hour is often a fraction of a cent: cost_exact keeps what cost rounds away.
    const rows = answer.rows.map((r) => ({ start: r.start, end: r.end, ...line(r), cost_exact: r.amount }));
    if (format === 'csv') return renderCsv(['start', 'end', 'sku', 'unit', 'quantity', 'cost', 'cost_exact'], rows);
    return renderJson({
      org,
      resource,
      region: place.region,
      app: place.app,
      last_hour: iso(place.lastHour),
      from: iso(q.from),
      to: iso(q.to),
      granularity: q.granularity,
      tz: q.tz,
      currency: 'USD',
      skus: totals.rows.map((r) => r.sku ?? '').sort(),
      by_sku: totals.rows.map(line).sort((a, b) => Dec.of(b.cost).cmp(Dec.of(a.cost)) || (a.sku < b.sku ? -1 : 1)),
      total: cents(Dec.of(totals.total)),
      rows,
    });
  }
}
