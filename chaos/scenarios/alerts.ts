import { randomBytes } from 'node:crypto';
import { createKafka, decodeAlertTriggered, renamed, topicConfig, topicSpec } from '@metering/kafka';
import type { ScenarioResult } from '../report';
import { CHAOS_OPERATOR_TOKEN, ChaosStack, sleep } from '../stack';
import { startReceiver } from '../webhook-receiver';

export interface AlertsSize {
  orgs: number;
  /** Alerts per organization, at $1, $2, ...: each crossed in turn as its usage grows. */
  alerts: number;
  /** kill -9 of the aggregator and of the invoicing service, each. */
  kills: number;
}

const SKU_PRICE = '0.0001'; // per second of shared-cpu-1x: 100 s = $0.01
const EVENT_SECONDS = 500; // $0.05 per event
/** What the receiver does to each delivery's first answers before it takes one. */
const FAILED_ANSWERS = 2;

/**
 * kill -9 of the aggregator and of the invoicing service (which relays alert.triggered and
 * delivers the webhooks) while usage takes organizations past their alerts' thresholds, with a
 * receiver that answers each delivery's first attempts with a 500. Each alert must fire once in
 * the month, every firing reach Kafka and the receiver (repeats only with the same delivery_id),
 * and no alert fire whose threshold the month did not reach.
 */
export async function alertsChaos(size: AlertsSize): Promise<ScenarioResult> {
  const stamp = randomBytes(4).toString('hex');
  const alertsTopic = `chaos.alerts.${stamp}.alerts.v1`;
  const perDelivery = new Map<string, number>();
  const receiver = await startReceiver((_path, _n, body) => {
    const id = String((JSON.parse(body || '{}') as { delivery_id?: string }).delivery_id);
    const k = (perDelivery.get(id) ?? 0) + 1;
    perDelivery.set(id, k);
    return k <= FAILED_ANSWERS ? 500 : 200;
  });
  // The stack makes the pipeline's own topics; the alerts' one is made here, before the relay needs it.
  const kafka = createKafka((process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','), `chaos-alerts-${stamp}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .createTopics({ waitForLeaders: true, topics: [topicConfig(renamed(topicSpec('billing.alerts.v1'), alertsTopic))] })
    .finally(() => admin.disconnect());
  const stack = await ChaosStack.start({
    name: 'alerts',
    services: ['api', 'collector', 'aggregator', 'invoicing'],
    env: { ALERTS_TOPIC: alertsTopic, ALERT_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', ALERT_WEBHOOK_RETRY_BASE_MS: '500' },
  });
  const consumer = stack.kafka.consumer({ groupId: `chaos-alerts-reader-${stamp}` });
  const onKafka: { alert: string; period: string }[] = [];
  try {
    const orgs = Array.from({ length: size.orgs }, (_, i) => `org-${i}`);
    const host = await stack.seed(orgs);
    await stack.pool.query(
      `INSERT INTO prices (sku, org, unit, unit_price, effective_from)
       SELECT 'machine.runtime/shared-cpu-1x', slug, 'second', $1::numeric, date_trunc('month', now()) FROM unnest($2::text[]) AS slug`,
      [SKU_PRICE, orgs],
    );
    const alerts: { id: string; org: string; threshold: number }[] = [];
    for (const org of orgs)
      for (let k = 1; k <= size.alerts; k++) {
        const res = await fetch(`${stack.url('api')}/v1/orgs/${org}/alerts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CHAOS_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `at $${k}`, threshold: `${k}.00`, webhook_url: `${receiver.url}/hook/${org}` }),
        });
        if (res.status !== 201) throw new Error(`creating an alert: ${res.status} ${await res.text()}`);
        alerts.push({ id: ((await res.json()) as { id: string }).id, org, threshold: k });
      }
    await consumer.connect();
    await consumer.subscribe({ topic: alertsTopic, fromBeginning: true });
    void consumer.run({
      eachMessage: async ({ message }) => {
        const e = decodeAlertTriggered(message.value!);
        onKafka.push({ alert: e.alert_id, period: e.period });
      },
    });

    // Usage: each organization to a little past its last threshold, in rounds of one event each.
    const rounds = Math.ceil((size.alerts + 0.5) / 0.05);
    const pace = Math.max(50, (size.kills * 8_000) / rounds);
    const spent = new Map(orgs.map((o) => [o, 0]));
    /** When the usage that crossed each (org, threshold) was accepted. */
    const crossedAt = new Map<string, number>();
    let accepted = 0;
    let resent = 0;
    let n = 0;
    const flow = (async () => {
      for (let r = 0; r < rounds; r++) {
        const batch = orgs.map((org) => ({
          specversion: '1.0',
          id: `alerts-${stamp}-${n++}`,
          source: 'host/chaos-alerts',
          type: 'machine.runtime',
          time: new Date(Date.now() - 5_000).toISOString(),
          data: {
            org,
            app: 'web',
            resource: `m_${org}`,
            region: 'ord',
            quantity: EVENT_SECONDS,
            size: 'shared-cpu-1x',
          },
        }));
        // Some rounds go twice, as a host retrying after a lost 202 would send them.
        for (let copy = 0; copy < (r % 7 === 3 ? 2 : 1); copy++) {
          for (;;) {
            const res = await fetch(`${stack.url('collector')}/v1/events`, {
              method: 'POST',
              headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
              body: JSON.stringify(batch),
            }).catch(() => null);
            if (res?.status === 202) break;
            await sleep(200);
          }
          if (copy > 0) resent += batch.length;
        }
        accepted += batch.length;
        const at = Date.now();
        for (const org of orgs) {
          const before = spent.get(org)!;
          const after = Math.round((before + EVENT_SECONDS * Number(SKU_PRICE)) * 100) / 100;
          spent.set(org, after);
          for (let k = Math.floor(before) + 1; k <= Math.floor(after); k++) crossedAt.set(`${org}/${k}`, at);
        }
        // Paced so that the kills fall while thresholds are being crossed.
        await sleep(pace);
      }
    })();
    let flowing = true;
    void flow.finally(() => (flowing = false)).catch(() => undefined);
    const aggregator = stack.proc('aggregator');
    const invoicing = stack.proc('invoicing');
    for (let k = 0; k < size.kills && flowing; k++) {
      for (const p of [aggregator, invoicing]) {
        await sleep(500 + Math.random() * 2_500);
        await p.kill();
        await sleep(Math.random() * 500);
        await p.start();
      }
    }
    await flow;
    await stack.foldedToEnd();

    // Every alert that should have fired has, and its delivery arrived: wait for both.
    const due = alerts.filter((a) => spent.get(a.org)! >= a.threshold);
    const deadline = Date.now() + 180_000;
    let firings: { alert_id: string; triggered_at: Date }[] = [];
    let delivered = 0;
    for (;;) {
      firings = (
        await stack.pool.query<{ alert_id: string; triggered_at: Date }>(
          'SELECT alert_id, triggered_at FROM alert_firings',
        )
      ).rows;
      delivered = Number(
        (
          await stack.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'delivered'`,
          )
        ).rows[0]!.n,
      );
      const kafkaDistinct = new Set(onKafka.map((e) => `${e.alert}/${e.period}`)).size;
      if (
        (firings.length >= due.length && delivered >= firings.length && kafkaDistinct >= firings.length) ||
        Date.now() > deadline
      )
        break;
      await sleep(500);
    }
    const fired = new Set(firings.map((f) => f.alert_id));
    const missed = due.filter((a) => !fired.has(a.id)).length;
    const wrongly = alerts.filter((a) => fired.has(a.id) && spent.get(a.org)! < a.threshold).length;
    // What the receiver saw: per alert, the delivery ids and their bodies; a 200 for each.
    const byAlert = new Map<string, Set<string>>();
    const bodies = new Map<string, Set<string>>();
    const answered = new Set<string>();
    for (const h of receiver.received) {
      const b = JSON.parse(h.body) as { delivery_id: string; alert_id: string };
      (byAlert.get(b.alert_id) ?? byAlert.set(b.alert_id, new Set()).get(b.alert_id)!).add(b.delivery_id);
      (bodies.get(b.delivery_id) ?? bodies.set(b.delivery_id, new Set()).get(b.delivery_id)!).add(h.body);
      if (h.status === 200) answered.add(b.delivery_id);
    }
    const twoDeliveries = [...byAlert.values()].filter((ids) => ids.size > 1).length;
    const changedBodies = [...bodies.values()].filter((b) => b.size > 1).length;
    const notArrived = firings.filter(
      (f) => ![...(byAlert.get(f.alert_id) ?? [])].some((id) => answered.has(id)),
    ).length;
    const kafkaDistinct = new Set(onKafka.map((e) => `${e.alert}/${e.period}`));
    const notOnKafka = firings.filter((f) => ![...kafkaDistinct].some((k) => k.startsWith(`${f.alert_id}/`))).length;
    const latencies = alerts
      .filter((a) => fired.has(a.id))
      .map(
        (a) =>
          firings.find((f) => f.alert_id === a.id)!.triggered_at.getTime() - crossedAt.get(`${a.org}/${a.threshold}`)!,
      )
      .sort((x, y) => x - y);
    const lost = missed + notArrived + notOnKafka;
    const doubleCounted = wrongly + twoDeliveries + changedBodies;
    return {
      name: 'alerts',
      title: 'kill -9 of the aggregator and the invoicing service while spend alerts cross their thresholds',
      date: new Date().toISOString(),
      faults: `${aggregator.counts.kills} × kill -9 of the aggregator and ${invoicing.counts.kills} × of the invoicing service while ${alerts.length} alerts were being crossed; the receiver answered each delivery's first ${FAILED_ANSWERS} attempts with 500; ${resent} events sent twice`,
      events: accepted,
      recovered: aggregator.counts.unexpectedExits === 0 && invoicing.counts.unexpectedExits === 0,
      lost,
      doubleCounted,
      figures: {
        'alerts (due to fire / fired)': `${due.length} / ${firings.length}`,
        'fired without reaching the threshold': wrongly,
        'firings not delivered with a 2xx': notArrived,
        'firings not on Kafka': notOnKafka,
        'alert.triggered records on Kafka (repeats are at-least-once relays)': onKafka.length,
        'alerts with two delivery ids': twoDeliveries,
        'delivery ids whose body changed between attempts': changedBodies,
        'webhook requests received': receiver.received.length,
        'webhooks marked delivered': delivered,
        'crossing to firing, median / max (ms)': `${latencies[Math.floor(latencies.length / 2)] ?? 0} / ${latencies.at(-1) ?? 0}`,
      },
      passed: lost === 0 && doubleCounted === 0 && (latencies.at(-1) ?? 0) < 60_000,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}`, { cause: e });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const cleanup = kafka.admin();
    await cleanup.connect().catch(() => undefined);
    await cleanup.deleteTopics({ topics: [alertsTopic] }).catch(() => undefined);
    await cleanup.disconnect().catch(() => undefined);
    await stack.stop();
    await receiver.close();
  }
}
