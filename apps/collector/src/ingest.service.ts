import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { Fault, UsageEvent, validateEvent } from '@metering/catalog';
import { UsageProducer } from '@metering/kafka';
import { METRICS_REGISTRY } from '@metering/service';
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

function orgOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const data = (raw as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const org = (data as { org?: unknown }).org;
  return typeof org === 'string' ? org : undefined;
}

function idOf(raw: unknown): string | null {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}

/**
 * Validates a request's events against the catalog and produces the valid ones. Returns only
 * once Kafka has acknowledged all of them (the 202 is a promise); a KafkaUnavailableError means
 * nothing may be assumed accepted.
 */
@Injectable()
export class IngestService {
  private readonly accepted: Counter;
  private readonly rejected: Counter<'reason'>;
  private readonly produceSeconds: Histogram;
  private readonly batchSize: Histogram;

  constructor(
    private readonly orgs: OrgDirectory,
    private readonly producer: UsageProducer,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.accepted = new Counter({ name: 'collector_events_accepted_total', help: 'Events acknowledged by Kafka', registers: [registry] });
    this.rejected = new Counter({
      name: 'collector_events_rejected_total',
      help: 'Events refused, by the path of their first fault',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.produceSeconds = new Histogram({
      name: 'collector_produce_duration_seconds',
      help: 'Time from produce to acknowledgement by all in-sync replicas',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'collector_request_events',
      help: 'Events per request',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    });
  }

  async ingest(raws: readonly unknown[]): Promise<IngestResult> {
    const now = Date.now();
    this.batchSize.observe(raws.length);
    const slugs = new Set<string>();
    for (const raw of raws) {
      const org = orgOf(raw);
      if (org !== undefined) slugs.add(org);
    }
    const known = await this.orgs.resolve(slugs);
    const ctx = { now, orgExists: (slug: string) => known.has(slug) };
    const valid: UsageEvent[] = [];
    const rejected: Rejection[] = [];
    raws.forEach((raw, index) => {
      const v = validateEvent(raw, ctx);
      if (v.ok) valid.push(v.event);
      else {
        rejected.push({ index, id: idOf(raw), errors: v.errors });
        this.rejected.inc({ reason: v.errors[0]?.path || 'event' });
      }
    });
    const end = this.produceSeconds.startTimer();
    await this.producer.send(valid, now);
    end();
    this.accepted.inc(valid.length);
    return { accepted: valid.length, rejected };
  }
}
