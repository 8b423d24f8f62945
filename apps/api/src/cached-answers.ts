import type { Request, Response } from 'express';
import type { CostRepository } from '@metering/db';
import { BoundedAnswers } from './bounded-staleness';
import { FreshRead } from './fresh-read';
import { CachedResponse, Rendered, ResponseCache } from './response-cache';
import type { OrgId } from '@metering/domain';

/** Enough for every panel of a few hundred dashboards; one answer may take up to a quarter. */
const CACHE_BYTES = 64 * 1024 * 1024;
const WATERMARK_READERS = 1000;

/**
 * Answers over the projections, rendered once per data version and served as bytes with an
 * ETag (304 on If-None-Match) and gzip. The version is the organization's watermark over the
 * months asked (its monthly rollup, the projection tables, the price book). An answer is served
 * while it is at most `stalenessMs` old (BoundedAnswers), the next one computed meanwhile by one
 * request for all: while usage flows every fold changes the version, and without the bound every
 * read would wait for its own computation. Shared by the usage and cost endpoints.
 */
export class CachedAnswers {
  private readonly cache = new ResponseCache(CACHE_BYTES);
  private readonly watermarks = new Map<string, FreshRead<string>>();
  private readonly bounded: BoundedAnswers<CachedResponse>;

  constructor(
    private readonly source: Pick<CostRepository, 'watermark'>,
    stalenessMs: number,
  ) {
    this.bounded = new BoundedAnswers(stalenessMs);
  }

  async serve(
    req: Request,
    res: Response,
    scope: { org: OrgId; from: Date; to: Date },
    key: string,
    render: () => Promise<Rendered>,
    filename: string | null,
  ): Promise<void> {
    const answer = await this.bounded.get(key, async () => {
      // Read before the data: an answer is at least as new as the version it is stored under.
      const version = await this.watermarkOf(scope.org, scope.from, scope.to);
      return this.cache.get(key, version, render);
    });
    res.setHeader('ETag', answer.etag);
    // Private: the answer belongs to the token's organization; no-cache: revalidate each time.
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Authorization, Accept-Encoding');
    if (req.headers['if-none-match'] === answer.etag) {
      res.status(304).end();
      return;
    }
    if (filename) res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.type(answer.contentType);
    if (answer.gzip && req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(answer.gzip);
    } else {
      res.send(answer.body);
    }
  }

  /** Concurrent requests over the same organization and range share their watermark reads. */
  private watermarkOf(org: OrgId, from: Date, to: Date): Promise<string> {
    const key = `${org}|${from.toISOString()}|${to.toISOString()}`;
    let read = this.watermarks.get(key);
    if (!read) {
      if (this.watermarks.size >= WATERMARK_READERS) this.watermarks.delete(this.watermarks.keys().next().value!);
      read = new FreshRead(() => this.source.watermark(org, from, to));
      this.watermarks.set(key, read);
    }
    return read.get();
  }
}
