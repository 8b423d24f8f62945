import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { AlertScope, isNarrowed, Terms, UsageSegment } from '@metering/billing';
import { OrgId, Period, periodBounds, periodDate } from '@metering/domain';
import { audit } from './audit.repository';
import { CostRepository } from './cost.repository';
import { OutboxMessage, OutboxRepository } from './outbox.repository';
import { PG_POOL, withTransaction } from './pool';
import { newId, newToken } from './secrets';
import { TermsRepository } from './terms.repository';

export interface NewAlert {
  name: string;
  /** A positive decimal string, checked by the caller. */
  threshold: string;
  app: string | null;
  skuPrefix: string | null;
  webhookUrl: string | null;
}

export interface DeliveryState {
  delivery_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
}

/** An alert as the API shows it: never its secret. */
export interface AlertView {
  id: string;
  name: string;
  threshold: string;
  app: string | null;
  sku_prefix: string | null;
  webhook_url: string | null;
  created_at: string;
  last_fired_period: string | null;
  last_delivery: DeliveryState | null;
}

/** A live alert not fired yet in the month being evaluated. */
export interface UnfiredAlert {
  id: string;
  org: OrgId;
  name: string;
  threshold: string;
  app: string | null;
  skuPrefix: string | null;
  webhookUrl: string | null;
}

/** What a firing writes besides its row: the Kafka event, and the webhook with its stable id. */
export interface Firing {
  alertId: string;
  period: Period;
  amount: string;
  triggeredAt: number;
  message: OutboxMessage;
  delivery: { id: string; url: string; body: string } | null;
}

const UTC = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;

const VIEW = `
  SELECT a.id, a.name, a.threshold::text AS threshold, a.app, a.sku_prefix, a.webhook_url,
         to_char(a.created_at AT TIME ZONE 'UTC', ${UTC}) AS created_at,
         (SELECT to_char(max(f.period), 'YYYY-MM') FROM alert_firings f WHERE f.alert_id = a.id) AS last_fired_period,
         (SELECT json_build_object('delivery_id', d.id, 'status', d.status, 'attempts', d.attempts,
                   'last_status', d.last_status, 'last_error', d.last_error,
                   'last_attempt_at', to_char(d.last_attempt_at AT TIME ZONE 'UTC', ${UTC}),
                   'delivered_at', to_char(d.delivered_at AT TIME ZONE 'UTC', ${UTC}))
            FROM webhook_deliveries d WHERE d.alert_id = a.id ORDER BY d.period DESC LIMIT 1) AS last_delivery
    FROM alerts a`;

/** Spend alerts: their definitions, the usage they watch, and their once-per-month firings. */
@Injectable()
export class AlertRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly costs: CostRepository,
    private readonly terms: TermsRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  /** A new alert, audited; its secret is returned here and never again. */
  async create(org: OrgId, a: NewAlert, actor: string): Promise<{ alert: AlertView; secret: string }> {
    const id = newId('al');
    const secret = newToken('mm').replace(/^mm_/, 'whsec_');
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO alerts (id, org, name, threshold, app, sku_prefix, webhook_url, secret, created_by)
         VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9)`,
        [id, org, a.name, a.threshold, a.app, a.skuPrefix, a.webhookUrl, secret, actor],
      );
      await audit(client, {
        org,
        actor,
        action: 'alert.create',
        subject: id,
        details: {
          name: a.name,
          threshold: a.threshold,
          app: a.app,
          sku_prefix: a.skuPrefix,
          webhook_url: a.webhookUrl,
        },
      });
    });
    return { alert: (await this.get(org, id))!, secret };
  }

  async list(org: OrgId): Promise<AlertView[]> {
    const { rows } = await this.pool.query<AlertView>(
      `${VIEW} WHERE a.org = $1 AND a.deleted_at IS NULL ORDER BY a.created_at, a.id`,
      [org],
    );
    return rows;
  }

  async get(org: OrgId, id: string): Promise<AlertView | null> {
    const { rows } = await this.pool.query<AlertView>(
      `${VIEW} WHERE a.org = $1 AND a.id = $2 AND a.deleted_at IS NULL`,
      [org, id],
    );
    return rows[0] ?? null;
  }

  /** Removes a live alert of `org` (false: there is none); audited. Its pending webhooks stop. */
  async remove(org: OrgId, id: string, actor: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        'UPDATE alerts SET deleted_at = now() WHERE org = $1 AND id = $2 AND deleted_at IS NULL',
        [org, id],
      );
      if (rowCount !== 1) return false;
      await audit(client, { org, actor, action: 'alert.delete', subject: id });
      return true;
    });
  }

  /** Whether `org` has had usage under the app `app`: the apps an alert may name. */
  async hasApp(org: OrgId, app: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM usage_hourly WHERE org = $1 AND app = $2 LIMIT 1', [
      org,
      app,
    ]);
    return rowCount === 1;
  }

  /** The organizations of `orgs` with live alerts, and those alerts that have not fired in `period`. */
  async unfired(orgs: readonly string[], period: Period): Promise<UnfiredAlert[]> {
    if (orgs.length === 0) return [];
    const { rows } = await this.pool.query<{
      id: string;
      org: OrgId;
      name: string;
      threshold: string;
      app: string | null;
      sku_prefix: string | null;
      webhook_url: string | null;
    }>(
      `SELECT a.id, a.org, a.name, a.threshold::text AS threshold, a.app, a.sku_prefix, a.webhook_url
         FROM alerts a
        WHERE a.org = ANY($1::text[]) AND a.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM alert_firings f WHERE f.alert_id = a.id AND f.period = $2::date)`,
      [orgs, periodDate(period)],
    );
    return rows.map((r) => ({
      id: r.id,
      org: r.org,
      name: r.name,
      threshold: r.threshold,
      app: r.app,
      skuPrefix: r.sku_prefix,
      webhookUrl: r.webhook_url,
    }));
  }

  /** Organizations with a live alert not fired in `period`: what a sweep evaluates. */
  async orgsWithUnfired(period: Period): Promise<OrgId[]> {
    const { rows } = await this.pool.query<{ org: OrgId }>(
      `SELECT DISTINCT a.org FROM alerts a
        WHERE a.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM alert_firings f WHERE f.alert_id = a.id AND f.period = $1::date)`,
      [periodDate(period)],
    );
    return rows.map((r) => r.org);
  }

  /**
   * `org`'s terms and the usage of `period` that `scope` watches: unnarrowed, what
   * `usage/current` prices; narrowed, the hourly usage of that app and SKU prefix.
   */
  async usageFor(org: OrgId, period: Period, scope: AlertScope): Promise<{ terms: Terms; usage: UsageSegment[] }> {
    if (!isNarrowed(scope)) return this.costs.currentMonth(org, period);
    const terms = new Terms(await this.terms.snapshot(org));
    const { from, to } = periodBounds(period);
    const { rows } = await this.pool.query<{ sku: string; hour: Date; quantity: string }>(
      `SELECT sku, hour, sum(quantity)::text AS quantity FROM usage_hourly
        WHERE org = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz
          AND ($4::text IS NULL OR app = $4) AND ($5::text IS NULL OR starts_with(sku, $5))
        GROUP BY sku, hour`,
      [org, new Date(from).toISOString(), new Date(to).toISOString(), scope.app, scope.skuPrefix],
    );
    return { terms, usage: rows.map((r) => ({ sku: r.sku, hour: r.hour.getTime(), quantity: r.quantity })) };
  }

  /**
   * Fires an alert for a month, once: the firing's row (its primary key decides among racing
   * evaluators), the Kafka event in the outbox and the webhook delivery, in one transaction.
   * False when it had fired already or was removed meanwhile.
   */
  async fire(f: Firing): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO alert_firings (alert_id, period, amount, triggered_at)
         SELECT id, $2::date, $3::numeric, $4::timestamptz FROM alerts WHERE id = $1 AND deleted_at IS NULL
         ON CONFLICT DO NOTHING`,
        [f.alertId, periodDate(f.period), f.amount, new Date(f.triggeredAt).toISOString()],
      );
      if (rowCount !== 1) return false;
      await this.outbox.insert(client, [f.message]);
      if (f.delivery) {
        await client.query(
          'INSERT INTO webhook_deliveries (id, alert_id, period, url, body) VALUES ($1, $2, $3::date, $4, $5)',
          [f.delivery.id, f.alertId, periodDate(f.period), f.delivery.url, f.delivery.body],
        );
      }
      return true;
    });
  }
}
