import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { CostRepository, UsageQuery, UsageRepository, UsageRow } from '@metering/db';
import { CachedAnswers } from './cached-answers';
import type { Rendered } from './response-cache';
import { badRequest } from '@metering/service';
import { MAX_SPAN_DAYS, parseUsageQuery, RawQuery, TimeParam } from './usage-query';
import { OrgId } from '@metering/domain';

/** The usage answer as the wire carries it, JSON or CSV. */
export function renderUsage(org: OrgId, q: UsageQuery, found: UsageRow[], format: 'json' | 'csv'): Rendered {
  const keys = [...q.groupBy, 'sku'] as const;
  const rows = found.map((r) => {
    const out: Record<string, string | number> = { start: r.start, end: r.end };
    for (const k of keys) out[k] = (r as unknown as Record<string, string>)[k] ?? '';
    out['unit'] = unitOf(r.sku) ?? '';
    out['quantity'] = r.quantity;
    out['events'] = r.events;
    return out;
  });
  if (format === 'csv') {
    const header = ['start', 'end', ...keys, 'unit', 'quantity', 'events'];
    const lines = [header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h] ?? '')).join(','))];
    return { body: Buffer.from(`${lines.join('\n')}\n`), contentType: 'text/csv; charset=utf-8' };
  }
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  const body = { org, from: iso(q.from), to: iso(q.to), granularity: q.granularity, tz: q.tz, rows };
  return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json; charset=utf-8' };
}

// Intl (ICU) and Postgres have their own zone databases: a zone ICU knows (US/Pacific-New)
// may be one Postgres refuses, with a 500 where the query uses it. What Postgres answered
// about each zone is kept; only names Intl accepted get here, so there are a few hundred.
const postgresZones = new Map<string, boolean>();

function isUnknownZone(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '22023' && /time zone/.test(String((e as { message?: unknown }).message));
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

@Controller('v1/orgs/:org/usage')
export class UsageController {
  private readonly answers: CachedAnswers;

  constructor(
    private readonly usage: UsageRepository,
    costs: CostRepository,
  ) {
    this.answers = new CachedAnswers(costs);
  }

  @Get()
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId, @Query() raw: RawQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const parsed = parseUsageQuery(raw);
    if (!parsed.ok) throw badRequest('invalid query parameters', parsed.faults);
    const { rest, format } = parsed.query;
    if (!(await this.zoneKnown(rest.tz))) throw badRequest('invalid query parameters', [{ path: 'tz', message: `'${rest.tz}' is not a time zone the database knows` }]);
    const from = await this.resolve(parsed.query.from, rest.tz);
    const to = await this.resolve(parsed.query.to, rest.tz);
    const span = to.getTime() - from.getTime();
    if (span <= 0) throw badRequest('invalid query parameters', [{ path: 'to', message: 'must be after from' }]);
    if (span > MAX_SPAN_DAYS * 86_400_000) {
      throw badRequest('invalid query parameters', [{ path: 'to', message: `at most ${MAX_SPAN_DAYS} days after from` }]);
    }
    const query = { ...rest, from, to };
    await this.answers.serve(req, res, { org, from, to }, JSON.stringify(['usage', org, format, query]), async () => renderUsage(org, query, await this.usage.usage(org, query), format), format === 'csv' ? `usage-${org}.csv` : null);
  }

  private async zoneKnown(tz: string): Promise<boolean> {
    if (tz === 'UTC') return true;
    let known = postgresZones.get(tz);
    if (known === undefined) {
      known = await this.usage.localToInstant('2000-01-01', tz).then(
        () => true,
        (e: unknown) => {
          if (isUnknownZone(e)) return false;
          throw e;
        },
      );
      postgresZones.set(tz, known);
    }
    return known;
  }

  private async resolve(t: TimeParam, tz: string): Promise<Date> {
    return 'instant' in t ? t.instant : this.usage.localToInstant(t.local, tz);
  }
}
