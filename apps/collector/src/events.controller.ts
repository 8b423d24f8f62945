import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { HostOnly } from '@metering/auth';
import { KafkaUnavailableError } from '@metering/kafka';
import { BodyRefusal, readBody } from '@metering/service';
import { CollectorMetrics } from './collector-metrics';
import { IngestResult, IngestService } from './ingest.service';
import { modeOf, parseEvents } from './parse-events';
import { Refusal } from './refusal';

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
// Long enough for a broker restart or a leader move; short enough that a host's queue stays small.
export const RETRY_AFTER_SECONDS = 5;

@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly ingest: IngestService,
    private readonly metrics: CollectorMetrics,
  ) {}

  // The body is read here, after the guard: an unknown caller's 10 MiB is never buffered.
  @Post()
  @HostOnly()
  @HttpCode(202)
  async post(@Req() req: Request): Promise<IngestResult> {
    try {
      const mode = modeOf(req.headers['content-type']);
      const events = parseEvents(await readBody(req, MAX_BODY_BYTES), mode);
      return await this.ingest.ingest(events);
    } catch (e) {
      const refusal =
        e instanceof KafkaUnavailableError
          ? new Refusal('kafka_unavailable', 503, `events not accepted: ${e.message}; send the whole batch again`, {
              'Retry-After': String(RETRY_AFTER_SECONDS),
            })
          : e;
      if (refusal instanceof Refusal || refusal instanceof BodyRefusal)
        this.metrics.refused.inc({ reason: refusal.reason });
      throw refusal;
    }
  }
}
