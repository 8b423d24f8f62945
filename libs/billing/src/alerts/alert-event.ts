import type { OrgId, Period } from '@metering/domain';

/** An alert reached its threshold in a month, on billing.alerts.v1 (key = organization). */
export interface AlertTriggered {
  type: 'alert.triggered';
  alert_id: string;
  org: OrgId;
  name: string;
  period: Period;
  threshold: string;
  amount: string;
  app: string | null;
  sku_prefix: string | null;
  /** Epoch ms. */
  triggered_at: number;
}

/** The webhook's JSON body: what the contract names, nothing more. */
export interface AlertWebhookBody {
  delivery_id: string;
  alert_id: string;
  org: string;
  name: string;
  period: string;
  threshold: string;
  amount: string;
  triggered_at: string;
}

export function webhookBody(deliveryId: string, e: AlertTriggered): string {
  const body: AlertWebhookBody = {
    delivery_id: deliveryId,
    alert_id: e.alert_id,
    org: e.org,
    name: e.name,
    period: e.period,
    threshold: e.threshold,
    amount: e.amount,
    triggered_at: new Date(e.triggered_at).toISOString(),
  };
  return JSON.stringify(body);
}
