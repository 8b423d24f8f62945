import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { nextAttemptAt, SIGNATURE_HEADER, signWebhook } from '@metering/billing';
import { DueDelivery, WebhookDeliveryRepository } from '@metering/db';
import { METERING_CONFIG, MeteringConfig, METRICS_REGISTRY } from '@metering/service';
import { postWebhook, WEBHOOK_TIMEOUT_MS } from './webhook-sender';

const INTERVAL_MS = 1000;
const BATCH = 20;
/** Longer than an attempt can take (the timeout and the look-up), so no two instances try one row at once. */
const LEASE_MS = 3 * WEBHOOK_TIMEOUT_MS;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/**
 * Delivers alert webhooks from their outbox: signed per attempt, with the body (and so the
 * delivery_id) of the firing; retried with full-jitter backoff until a 2xx, marked failed when
 * the next retry would come more than 24 h after the firing. Several instances share the work:
 * a claim takes due rows with SKIP LOCKED and leases them (see WebhookDeliveryRepository).
 */
@Injectable()
export class WebhookDeliverer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('webhooks');
  private readonly outcomes: Counter<'outcome'>;
  private readonly pendingGauge: Gauge;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.outcomes = new Counter({
      name: 'alert_webhook_deliveries_total',
      help: 'Alert webhook attempts by outcome: delivered (2xx), retry (to be tried again), failed (given up after 24 h)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.pendingGauge = new Gauge({
      name: 'alert_webhook_deliveries_pending',
      help: 'Alert webhooks not delivered yet and not given up',
      registers: [registry],
    });
  }

  /** Passes chained by timeouts rather than an interval: one never overlaps the next, however long it takes. */
  onApplicationBootstrap(): void {
    const next = () => {
      if (this.stopped) return;
      this.pass = this.deliverDue()
        .catch((e: unknown) => this.log.warn(`webhook pass failed, will retry: ${String(e)}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(next, INTERVAL_MS).unref();
        });
    };
    next();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  async deliverDue(): Promise<number> {
    let n = 0;
    for (;;) {
      const due = await this.deliveries.claimDue(BATCH, LEASE_MS);
      await Promise.all(due.map((d) => this.attempt(d)));
      n += due.length;
      if (due.length < BATCH) break;
    }
    this.pendingGauge.set(await this.deliveries.pending());
    return n;
  }

  private async attempt(d: DueDelivery): Promise<DeliveryOutcome> {
    if (d.alertRemoved) {
      await this.deliveries.attemptFailed(d.id, null, 'alert removed', null);
      this.outcomes.inc({ outcome: 'failed' });
      return 'failed';
    }
    const signature = signWebhook(d.secret, d.body, Date.now() / 1000);
    const o = await postWebhook(d.url, d.body, { [SIGNATURE_HEADER]: signature }, this.config.alerts.allowHosts);
    if (o.kind === 'answered' && o.status >= 200 && o.status < 300) {
      await this.deliveries.delivered(d.id, o.status);
      this.outcomes.inc({ outcome: 'delivered' });
      return 'delivered';
    }
    const status = o.kind === 'answered' ? o.status : null;
    const error = o.kind === 'answered' ? `answered ${o.status}` : o.error;
    const retryAt = nextAttemptAt(d.createdAt, d.attempts + 1, Date.now(), Math.random(), {
      baseMs: this.config.alerts.retryBaseMs,
    });
    await this.deliveries.attemptFailed(d.id, status, error, retryAt);
    const outcome = retryAt === null ? 'failed' : 'retry';
    this.outcomes.inc({ outcome });
    if (outcome === 'failed') this.log.warn(`webhook ${d.id} of alert ${d.alertId} given up: ${error}`);
    return outcome;
  }
}
