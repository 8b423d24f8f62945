import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import express, { Request, Response } from 'express';
import { HostOnly } from '@metering/auth';
import { KafkaUnavailableError } from '@metering/kafka';
import { badRequest, bodyParserProblem, ProblemException } from '@metering/service';
import { IngestResult, IngestService } from './ingest.service';

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_EVENTS = 10_000;
const RETRY_AFTER_SECONDS = '5';

const BATCH_TYPES = new Set(['application/json', 'application/cloudevents-batch+json']);
const SINGLE_TYPE = 'application/cloudevents+json';

// Read after authentication (a guard), not as middleware: an unknown caller's 10 MiB is never read.
// A declared Content-Length over the limit is refused before a byte of the body is read.
const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

function readBody(req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readRaw(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type: string; status: number; message: string; limit?: number };
        const p = bodyParserProblem(e);
        reject(new ProblemException(p.status, p.detail));
      } else resolve(Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0));
    });
  });
}

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

@Controller('v1/events')
export class EventsController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @HostOnly()
  @HttpCode(202)
  async post(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<IngestResult> {
    const type = mediaType(req);
    if (!BATCH_TYPES.has(type) && type !== SINGLE_TYPE) {
      throw new ProblemException(415, `Content-Type must be application/cloudevents-batch+json, application/json or ${SINGLE_TYPE}`);
    }
    const body = await readBody(req, res);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw badRequest(`body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    let events: unknown[];
    if (Array.isArray(parsed)) {
      if (type === SINGLE_TYPE) throw badRequest(`${SINGLE_TYPE} carries one event (an object), not an array`);
      if (parsed.length > MAX_EVENTS) throw badRequest(`a batch holds at most ${MAX_EVENTS} events; this one has ${parsed.length}`);
      events = parsed;
    } else if (typeof parsed === 'object' && parsed !== null) {
      events = [parsed];
    } else {
      throw badRequest('body must be a CloudEvent (an object) or a batch of them (an array)');
    }
    try {
      return await this.ingest.ingest(events);
    } catch (e) {
      if (e instanceof KafkaUnavailableError) {
        throw new ProblemException(503, `events not accepted: ${e.message}; send the whole batch again`, {
          headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        });
      }
      throw e;
    }
  }
}
