import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { unitOf } from '@metering/catalog';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { OrgId, UsageRepository, UsageRow } from '@metering/db';
import { badRequest } from '@metering/service';
import { MAX_SPAN_DAYS, parseUsageQuery, RawQuery, TimeParam } from './usage-query';

type OutRow = UsageRow & { unit: string };

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

  private async resolve(t: TimeParam, tz: string): Promise<Date> {
    return 'instant' in t ? t.instant : this.usage.localToInstant(t.local, tz);
  }
}
