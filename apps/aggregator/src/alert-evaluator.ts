import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AlertTriggered, alertAmount, crossed, webhookBody } from '@metering/billing';
import { AlertRepository, newId, UnfiredAlert } from '@metering/db';
import { Dec, OrgId, Period, periodOf } from '@metering/domain';
import { alertTriggeredMessage } from '@metering/kafka';
import type { HourlyBucket } from '@metering/metering';
import { METERING_CONFIG, MeteringConfig, METRICS_REGISTRY } from '@metering/service';

/** The safety net: every organization with an unfired alert is evaluated this often anyway. */
const SWEEP_MS = 20_000;

/**
 * Decides spend alerts where the fold knows what changed: after each committed batch, the
 * organizations whose open month it touched are evaluated (coalesced, off the fold's path), and
 * an alert whose amount reached its threshold fires once (AlertRepository.fire: a unique row,
 * in one transaction with its Kafka event and webhook). A crash between a fold's commit and its
 * evaluation loses nothing: the sweep evaluates every organization with an unfired alert, at
 * start and every SWEEP_MS, so a crossing fires within 60 s whatever happened in between.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('alerts');
  private readonly fired: Counter;
  private readonly dirty = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly alerts: AlertRepository,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.fired = new Counter({
      name: 'alerts_fired_total',
      help: 'Spend alerts that reached their threshold and fired (once per alert and month)',
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** A batch committed these rows: their organizations' open month may have crossed a threshold. */
  changed(rows: readonly HourlyBucket[], now = Date.now()): void {
    const open = periodOf(now);
    for (const r of rows) if (periodOf(r.hour) === open) this.dirty.add(r.org);
    this.schedule();
  }

  /** Evaluates the organizations with an unfired alert in the open month. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const org of await this.alerts.orgsWithUnfired(periodOf(Date.now()))) this.dirty.add(org);
    } catch (e) {
      this.log.warn(`alert sweep failed, will retry: ${String(e)}`);
      return;
    }
    this.schedule();
    await this.running;
  }

  /** One evaluation queued at a time, taking every organization marked dirty until it runs. */
  private schedule(): void {
    if (this.dirty.size === 0 || this.scheduled) return;
    this.scheduled = true;
    this.running = this.running.then(() => this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const orgs = [...this.dirty];
    this.dirty.clear();
    try {
      await this.evaluate(orgs, Date.now());
    } catch (e) {
      // The sweep comes back to them.
      this.log.warn(`alert evaluation failed, will retry: ${String(e)}`);
    }
  }

  /** Evaluates the unfired alerts of `orgs` in the month of `now`; returns how many fired. */
  async evaluate(orgs: readonly string[], now: number): Promise<number> {
    const period = periodOf(now);
    const alerts = await this.alerts.unfired(orgs, period);
    let fired = 0;
    // Alerts of one organization and scope price the same usage: read and price it once.
    const amounts = new Map<string, Dec>();
    for (const a of alerts) {
      const scope = { app: a.app, skuPrefix: a.skuPrefix };
      const key = JSON.stringify([a.org, a.app, a.skuPrefix]);
      let amount = amounts.get(key);
      if (amount === undefined) {
        const { terms, usage } = await this.alerts.usageFor(a.org, period, scope);
        amount = alertAmount(a.org, period, scope, usage, terms, now);
        amounts.set(key, amount);
      }
      if (!crossed(amount, Dec.of(a.threshold))) continue;
      if (await this.fire(a, period, amount, now)) fired++;
    }
    return fired;
  }

  private async fire(a: UnfiredAlert, period: Period, amount: Dec, now: number): Promise<boolean> {
    const event: AlertTriggered = {
      type: 'alert.triggered',
      alert_id: a.id,
      org: a.org as OrgId,
      name: a.name,
      period,
      threshold: a.threshold,
      amount: amount.toFixed(2),
      app: a.app,
      sku_prefix: a.skuPrefix,
      triggered_at: now,
    };
    const deliveryId = newId('whd');
    const ok = await this.alerts.fire({
      alertId: a.id,
      period,
      amount: amount.toString(),
      triggeredAt: now,
      message: alertTriggeredMessage(this.config.alerts.topic, event),
      delivery: a.webhookUrl ? { id: deliveryId, url: a.webhookUrl, body: webhookBody(deliveryId, event) } : null,
    });
    if (ok) {
      this.fired.inc();
      this.log.log(`alert ${a.id} of ${a.org} fired for ${period}: ${event.amount} >= ${a.threshold}`);
    }
    return ok;
  }
}
