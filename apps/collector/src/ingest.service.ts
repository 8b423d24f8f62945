import { Injectable } from '@nestjs/common';
import { Fault, UsageEvent, validateEvent } from '@metering/catalog';
import { UsageProducer } from '@metering/kafka';
import { CollectorMetrics } from './collector-metrics';
import { OrgDirectory } from './org-directory';

export interface Rejection {
  index: number;
  id: string | null;
  errors: Fault[];
}

export interface IngestResult {
  accepted: number;
  rejected: Rejection[];
}

function field(raw: unknown, name: string): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

function orgOf(raw: unknown): string | undefined {
  const org = field(field(raw, 'data'), 'org');
  return typeof org === 'string' ? org : undefined;
}

function idOf(raw: unknown): string | null {
  const id = field(raw, 'id');
  return typeof id === 'string' ? id : null;
}

/**
 * Validates a request's events against the catalog and produces the valid ones. Returns only
 * once Kafka has acknowledged all of them (the 202 is a promise); a KafkaUnavailableError means
 * nothing may be assumed accepted.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly orgs: OrgDirectory,
    private readonly producer: UsageProducer,
    private readonly metrics: CollectorMetrics,
  ) {}

  async ingest(raws: readonly unknown[]): Promise<IngestResult> {
    const now = Date.now();
    this.metrics.requestEvents.observe(raws.length);
    const slugs = new Set<string>();
    for (const raw of raws) {
      const org = orgOf(raw);
      if (org !== undefined) slugs.add(org);
    }
    const known = await this.orgs.resolve(slugs);
    const ctx = { now, orgExists: (slug: string) => known.has(slug) };
    const valid: UsageEvent[] = [];
    const rejected: Rejection[] = [];
    for (let index = 0; index < raws.length; index++) {
      const raw = raws[index];
      const v = validateEvent(raw, ctx);
      if (v.ok) valid.push(v.event);
      else {
        rejected.push({ index, id: idOf(raw), errors: v.errors });
        this.metrics.rejected.inc({ reason: v.errors[0]?.path || 'event' });
      }
    }
    const end = this.metrics.ackWait.startTimer();
    try {
      await this.producer.send(valid, now);
    } finally {
      end();
    }
    this.metrics.accepted.inc(valid.length);
    return { accepted: valid.length, rejected };
  }
}
