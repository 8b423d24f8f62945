import type { Request, Response } from 'express';
import type { CostRepository, TimeZoneRepository } from '@metering/db';
import type { OrgId } from '@metering/domain';
import { badRequest, FaultDetail } from '@metering/service';
import { CachedAnswers } from './cached-answers';
import type { Rendered } from './response-cache';
import { Format, MAX_SPAN_DAYS, RawQuery, TimeParam } from './usage-query';

/** Remembered query parses: a dashboard asks the same few questions. */
const PARSED_QUERIES = 1000;

/** A read endpoint's query as parsed: its times, maybe wall-clock times in `tz`, and the answer's format. */
export interface ParsedRead {
  from: TimeParam;
  to: TimeParam;
  tz: string;
  format: Format;
}

/** The query a parse becomes once its times are instants. */
export type Resolved<P extends ParsedRead> = Omit<P, 'from' | 'to' | 'format'> & { from: Date; to: Date };

type Parsed<P> = { ok: true; query: P } | { ok: false; faults: FaultDetail[] };

const invalid = (faults: FaultDetail[]) => badRequest('invalid query parameters', faults);

/**
 * The one path of the read endpoints (usage, costs) from query string to answer: the parse,
 * remembered per query string (checking a time zone builds an Intl formatter, which costs as
 * much as serving a cached answer); the zone checked against the database's own (a zone only
 * Intl knows is a 400 naming tz, not a 500 from the query); wall-clock times resolved in it
 * and the span checked; then the answer, through CachedAnswers (rendered once per data
 * version, ETag, gzip). Every fault is a 400 naming its parameter.
 */
export class ReadEndpoint<P extends ParsedRead> {
  private readonly parsed = new Map<string, Parsed<P>>();
  private readonly answers: CachedAnswers;

  constructor(
    /** Names the CSV download: `<name>-<org>.csv`. */
    private readonly name: string,
    private readonly parse: (raw: RawQuery) => Parsed<P>,
    private readonly zones: Pick<TimeZoneRepository, 'knows' | 'localToInstant'>,
    watermarks: Pick<CostRepository, 'watermark'>,
    /** READ_STALENESS_MS: how old a served answer may be. */
    stalenessMs: number,
  ) {
    this.answers = new CachedAnswers(watermarks, stalenessMs);
  }

  async serve(
    org: OrgId,
    raw: RawQuery,
    req: Request,
    res: Response,
    render: (query: Resolved<P>, format: Format) => Promise<Rendered>,
  ): Promise<void> {
    const { query, format } = await this.resolved(req.url, raw);
    const filename = format === 'csv' ? `${this.name}-${org}.csv` : null;
    await this.answers.serve(
      req,
      res,
      { org, from: query.from, to: query.to },
      JSON.stringify([org, format, query]),
      () => render(query, format),
      filename,
    );
  }

  /** The query of a request, parsed, its times resolved and its span checked; a 400 naming each fault. */
  async resolved(url: string, raw: RawQuery): Promise<{ query: Resolved<P>; format: Format }> {
    const parsed = this.parsedOnce(url, raw);
    if (!parsed.ok) throw invalid(parsed.faults);
    const { from: fromParam, to: toParam, format, ...rest } = parsed.query;
    const tz = parsed.query.tz;
    if (!(await this.zones.knows(tz)))
      throw invalid([{ path: 'tz', message: `'${tz}' is not a time zone the database knows` }]);
    const from = await this.resolve(fromParam, tz);
    const to = await this.resolve(toParam, tz);
    const span = to.getTime() - from.getTime();
    if (span <= 0) throw invalid([{ path: 'to', message: 'must be after from' }]);
    if (span > MAX_SPAN_DAYS * 86_400_000)
      throw invalid([{ path: 'to', message: `at most ${MAX_SPAN_DAYS} days after from` }]);
    return { query: { ...rest, from, to } as Resolved<P>, format };
  }

  private parsedOnce(url: string, raw: RawQuery): Parsed<P> {
    const found = this.parsed.get(url);
    if (found) return found;
    const parsed = this.parse(raw);
    if (this.parsed.size >= PARSED_QUERIES) this.parsed.delete(this.parsed.keys().next().value!);
    this.parsed.set(url, parsed);
    return parsed;
  }

  private async resolve(t: TimeParam, tz: string): Promise<Date> {
    return 'instant' in t ? t.instant : this.zones.localToInstant(t.local, tz);
  }
}
