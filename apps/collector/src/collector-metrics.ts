import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@metering/service';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const COUNTS = [1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000];

/** What the collector reports on /metrics (request latency by route and status is every service's). */
@Injectable()
export class CollectorMetrics {
  readonly accepted: Counter;
  readonly rejected: Counter<'reason'>;
  readonly refused: Counter<'reason'>;
  readonly requestEvents: Histogram;
  readonly ackWait: Histogram;
  readonly produceSeconds: Histogram<'outcome'>;
  readonly produceMessages: Histogram;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.accepted = new Counter({
      name: 'collector_events_accepted_total',
      help: 'Events acknowledged by Kafka and answered 202',
      registers,
    });
    this.rejected = new Counter({
      name: 'collector_events_rejected_total',
      help: 'Events refused by validation, by the path of their first fault',
      labelNames: ['reason'],
      registers,
    });
    this.refused = new Counter({
      name: 'collector_requests_refused_total',
      help: 'Whole requests refused (4xx of the request itself, 503 when Kafka did not take them), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.requestEvents = new Histogram({
      name: 'collector_request_events',
      help: 'Events per request',
      buckets: COUNTS,
      registers,
    });
    this.ackWait = new Histogram({
      name: 'collector_ack_wait_seconds',
      help: "Time a request waited for Kafka's acknowledgement of its events, queueing behind other requests included",
      buckets: SECONDS,
      registers,
    });
    this.produceSeconds = new Histogram({
      name: 'collector_produce_duration_seconds',
      help: 'Time of one send to Kafka, from produce to acknowledgement by all in-sync replicas, by outcome',
      labelNames: ['outcome'],
      buckets: SECONDS,
      registers,
    });
    this.produceMessages = new Histogram({
      name: 'collector_produce_batch_messages',
      help: 'Messages per send to Kafka (the events of every request that arrived while the previous send was in flight)',
      buckets: COUNTS,
      registers,
    });
  }

  /** The producer's hook: one send to Kafka finished. */
  readonly onSend = (messages: number, seconds: number, ok: boolean): void => {
    this.produceSeconds.observe({ outcome: ok ? 'acknowledged' : 'failed' }, seconds);
    this.produceMessages.observe(messages);
  };
}
