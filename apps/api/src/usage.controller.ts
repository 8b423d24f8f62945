import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { OrgId, UsageRepository, UsageRow } from '@metering/db';
import { badRequest } from '@metering/service';
import { MAX_SPAN_DAYS, parseUsageQuery, RawQuery, TimeParam } from './usage-query';

type OutRow = UsageRow & { unit: string };

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
  constructor(private readonly usage: UsageRepository) {}

  @Get()
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId, @Query() raw: RawQuery, @Res() res: Response): Promise<void> {
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
    const rows: OutRow[] = (await this.usage.usage(org, { ...rest, from, to })).map((r) => ({ ...r, unit: unitOf(r.sku) ?? '' }));
    const keys = [...rest.groupBy, 'sku'] as const;
    if (format === 'csv') {
      const header = ['start', 'end', ...keys, 'unit', 'quantity', 'events'];
      res.type('text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="usage-${org}.csv"`);
      res.write(`${header.join(',')}\n`);
      for (const r of rows) {
        res.write(`${header.map((h) => csvCell((r as unknown as Record<string, string | number>)[h] ?? '')).join(',')}\n`);
      }
      res.end();
      return;
    }
    res.json({
      org,
      from: from.toISOString().replace('.000Z', 'Z'),
      to: to.toISOString().replace('.000Z', 'Z'),
      granularity: rest.granularity,
      tz: rest.tz,
      rows: rows.map((r) => {
        const out: Record<string, string | number> = { start: r.start, end: r.end };
        for (const k of keys) out[k] = r[k] ?? '';
        out['unit'] = r.unit;
        out['quantity'] = r.quantity;
        out['events'] = r.events;
        return out;
      }),
    });
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
