import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostAnswer, CostQuery, CostRepository } from '@metering/db';
import { badRequest } from '@metering/service';
import { parseCostQuery } from './cost-query';
import { CachedAnswers } from './cached-answers';
import type { Rendered } from './response-cache';
import { MAX_SPAN_DAYS, RawQuery, TimeParam } from './usage-query';
import { Dec, OrgId } from '@metering/domain';


/** Remembered query parses and watermark readers: a dashboard asks the same few questions. */
const PARSED_QUERIES = 1000;

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The answer as the wire carries it: amounts rounded half-to-even to cents, per row and in total. */
export function renderCosts(org: OrgId, q: CostQuery, answer: CostAnswer, format: 'json' | 'csv'): Rendered {
  const withSku = q.groupBy.includes('sku');
  const rows = answer.rows.map((r) => {
    const out: Record<string, string> = { start: r.start, end: r.end };
    for (const k of q.groupBy) out[k] = r[k] ?? '';
    if (withSku) {
      out['unit'] = unitOf(r.sku ?? '') ?? '';
      out['quantity'] = r.quantity ?? '0';
    }
    out['amount'] = Dec.of(r.amount).toFixed(2);
    return out;
  });
  if (format === 'csv') {
    const header = ['start', 'end', ...q.groupBy, ...(withSku ? ['unit', 'quantity'] : []), 'amount'];
    const lines = [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h] ?? '')).join(','))];
    return { body: Buffer.from(`${lines.join('\n')}\n`), contentType: 'text/csv; charset=utf-8' };
  }
  const body = {
    org,
    from: iso(q.from),
    to: iso(q.to),
    granularity: q.granularity,
    tz: q.tz,
    currency: 'USD',
    total: Dec.of(answer.total).toFixed(2),
    total_rows: answer.totalRows,
    rows,
  };
  return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json; charset=utf-8' };
}

/**
 * Cost estimates: usage × the public price in force at each hour, grouped and filtered like
 * usage, with top-N (`order=amount&limit=20`). A viewer reads them: they are made only of
 * what a viewer already reads (usage and prices). Answers are cached per organization and
 * query (rendered, and gzipped) until the organization's usage in the months asked or the
 * price book changes, and carry an ETag: a dashboard's panels are the same few questions
 * asked again and again.
 */
@Controller('v1/orgs/:org/costs')
export class CostsController {
  private readonly parsed = new Map<string, ReturnType<typeof parseCostQuery>>();
  private readonly answers: CachedAnswers;

  constructor(private readonly costs: CostRepository) {
    this.answers = new CachedAnswers(costs);
  }

  @Get()
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId, @Query() raw: RawQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const parsed = this.parse(req.url, raw);
    if (!parsed.ok) throw badRequest('invalid query parameters', parsed.faults);
    const { format, ...p } = parsed.query;
    const from = await this.resolve(p.from, p.tz);
    const to = await this.resolve(p.to, p.tz);
    const span = to.getTime() - from.getTime();
    if (span <= 0) throw badRequest('invalid query parameters', [{ path: 'to', message: 'must be after from' }]);
    if (span > MAX_SPAN_DAYS * 86_400_000) {
      throw badRequest('invalid query parameters', [{ path: 'to', message: `at most ${MAX_SPAN_DAYS} days after from` }]);
    }
    const query: CostQuery = { ...p, from, to };
    await this.answers.serve(req, res, { org, from, to }, JSON.stringify([org, format, query]), async () => renderCosts(org, query, await this.costs.costs(org, query), format), format === 'csv' ? `costs-${org}.csv` : null);
  }

  /**
   * Checking a time zone builds an Intl formatter, which costs as much as serving a cached
   * answer; a dashboard repeats the same few query strings, so their parses are remembered.
   */
  private parse(url: string, raw: RawQuery): ReturnType<typeof parseCostQuery> {
    const found = this.parsed.get(url);
    if (found) return found;
    const parsed = parseCostQuery(raw);
    if (this.parsed.size >= PARSED_QUERIES) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(url, parsed);
    return parsed;
  }

  private async resolve(t: TimeParam, tz: string): Promise<Date> {
    return 'instant' in t ? t.instant : this.costs.localToInstant(t.local, tz);
  }
}
