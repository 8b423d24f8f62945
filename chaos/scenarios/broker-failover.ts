import { Kafka, logLevel } from 'kafkajs';
import { periodBounds, periodOf } from '@metering/domain';
import { call, CloseAnswer, Summary } from '../billing-support';
import { Hosts } from '../hosts';
import { outageSurvived, projectionTally } from '../invariant';
import { createPrivateCluster, PrivateCluster } from '../private-broker';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';

export interface FailoverSize {
  events: number;
  /** Seconds each broker stays down (the second goes down this long after the first, and both come back together). */
  downSeconds: number;
}

const ORGS = ['acme', 'globex', 'initech', 'umbrella'];

/** The node leading the most partitions of `topic`, other than those in `not`. */
async function busiestLeader(cluster: PrivateCluster, topic: string, not: number[]): Promise<number> {
  const counts = [...(await cluster.leaders(topic)).entries()].filter(([id]) => id > 0 && !not.includes(id));
  counts.sort((a, b) => b[1] - a[1]);
  const id = counts[0]?.[0] ?? [1, 2, 3].find((n) => !not.includes(n))!;
  return id;
}

/**
 * A three-broker cluster (the usage and invoice topics at three replicas, min.insync.replicas 2)
 * loses, while hosts post, the broker leading the most partitions (kill -9): the month before is
 * closed meanwhile. Later a second one (kill -9), and an invoice is voided; both come back
 * together. With one broker lost every write still has two in-sync replicas; with two lost the
 * collector answers 503 with `Retry-After` and the credit note's billing event waits in the
 * invoicing outbox. Nothing is restarted by hand.
 */
export async function brokerFailover(size: FailoverSize): Promise<ScenarioResult> {
  const cluster = await createPrivateCluster(3);
  await cluster.start();
  const stack = await ChaosStack.start({
    name: 'failover',
    services: ['api', 'collector', 'aggregator', 'invoicing'],
    broker: cluster,
  }).catch(async (e) => {
    await cluster.destroy();
    throw e;
  });
  try {
    const hosts = new Hosts(() => stack.url('collector'), await stack.seed(ORGS), ORGS, `failover-${Date.now()}`, {
      resendShare: 0.1,
    });
    // Usage of the month before (closed while the second broker is down), then of now.
    const previous = periodOf(periodBounds(periodOf(Date.now())).from - 1);
    const lastDay = periodBounds(previous).to - 86_400_000;
    const before = Math.max(500, Math.round(size.events / 10));
    await hosts.flow(before, 250, 4, (i) => lastDay + (i % 24) * 3_600_000 + 1_000);

    const seconds = 3 * size.downSeconds + 15;
    const rest = size.events - before;
    const flow = hosts.flow(rest, 250, 8, () => Date.now(), rest / seconds);
    await sleep((seconds / 6) * 1000);

    const first = await busiestLeader(cluster, stack.topics.usage, []);
    const leading = (await cluster.leaders(stack.topics.usage)).get(first) ?? 0;
    let accepted = hosts.stats.accepted;
    const t1 = Date.now();
    await cluster.nodes[first - 1]!.kill();
    // One broker lost: the leaders move, and 202s go on (min ISR 2 of the two left).
    while (hosts.stats.accepted === accepted && Date.now() - t1 < 60_000) await sleep(50);
    const firstAcceptedAfterOne = Date.now() - t1;

    // The close of the month before with one broker lost, tried until it answers 200 as an operator would.
    const invoicing = stack.url('invoicing');
    const closeStatuses: Record<string, number> = {};
    let invoices: Summary[] = [];
    for (;;) {
      const r = await call(`${invoicing}/v1/billing/periods/${previous}/close`, 'POST');
      closeStatuses[r.status] = (closeStatuses[r.status] ?? 0) + 1;
      if (r.status === 200) {
        invoices = (r.body as CloseAnswer).invoices;
        break;
      }
      if (Date.now() - t1 > 300_000) throw new Error(`the close never succeeded: ${JSON.stringify(closeStatuses)}`);
      await sleep(1_000);
    }
    const closedAfter = Date.now() - t1;
    const left = size.downSeconds * 1000 - (Date.now() - t1);
    if (left > 0) await sleep(left);

    const second = await busiestLeader(cluster, stack.topics.usage, [first]);
    await cluster.nodes[second - 1]!.kill();
    const t2 = Date.now();
    // Two lost: a void issues its credit note in Postgres, and its billing event waits in the outbox.
    const voided = invoices[0]
      ? await call(`${invoicing}/v1/billing/invoices/${invoices[0].number}/void`, 'POST', { reason: 'chaos' })
      : { status: 0 };
    let pendingWhileDown = 0;
    while (Date.now() - t2 < size.downSeconds * 1000) {
      await sleep(250);
      pendingWhileDown = Math.max(pendingWhileDown, await outboxPending(stack));
    }

    accepted = hosts.stats.accepted;
    const t3 = Date.now();
    await Promise.all([cluster.nodes[first - 1]!.start(), cluster.nodes[second - 1]!.start()]);
    const bothBack = Date.now() - t3;
    while (hosts.stats.accepted === accepted && Date.now() - t3 < 120_000) await sleep(50);
    const firstAcceptedAfterBack = Date.now() - t3;

    await flow;
    await stack.foldedToEnd();
    const tally = await projectionTally(stack.pool, hosts, ORGS);
    const deadline = Date.now() + 120_000;
    while ((await outboxPending(stack)) > 0 && Date.now() < deadline) await sleep(500);
    const pendingAtEnd = await outboxPending(stack);
    const published = await messagesOn(stack, cluster);
    const unexpected = ['collector', 'aggregator', 'invoicing'].reduce(
      (n, s) => n + stack.proc(s).counts.unexpectedExits,
      0,
    );
    if (unexpected > 0) console.error(`a service died by itself:\n${stack.logs()}`);
    return {
      name: 'broker-failover',
      title: 'two of three brokers killed, one after the other, mid-ingest and mid-close',
      date: new Date().toISOString(),
      faults: `kill -9 of the broker leading ${leading} of 12 usage partitions (node ${first}), ${size.downSeconds} s later of a second (node ${second}) while an invoice was voided (the month closed while one was down); both back after ${size.downSeconds} s more`,
      events: hosts.stats.accepted,
      recovered: unexpected === 0 && pendingAtEnd === 0,
      lost: tally.lost,
      doubleCounted: tally.doubleCounted,
      figures: {
        ...hosts.figures(),
        '503 without Retry-After': hosts.missingRetryAfter,
        'one broker down: ms to the next 202': firstAcceptedAfterOne,
        'both back: ms to answering, then to the next 202': `${bothBack}, ${firstAcceptedAfterBack}`,
        'one broker down: close answers until 200, ms from the kill': `${JSON.stringify(closeStatuses)}, ${closedAfter}`,
        'two brokers down: void answered': voided.status,
        'invoices and credit notes issued, billing events on the topic': `${invoices.length + 1}, ${published}`,
        'outbox pending with two brokers down (most), at the end': `${pendingWhileDown}, ${pendingAtEnd}`,
        'service restarts needed': unexpected,
      },
      passed:
        outageSurvived(tally, hosts, unexpected) &&
        hosts.missingRetryAfter === 0 &&
        invoices.length > 0 &&
        voided.status === 201 &&
        pendingWhileDown > 0 &&
        pendingAtEnd === 0 &&
        published >= invoices.length + 1,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}\n--- cluster\n${cluster.logTail()}`, { cause: e });
  } finally {
    await stack.stop();
    await cluster.destroy();
  }
}

async function outboxPending(stack: ChaosStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
  return rows[0]!.n;
}

/** Messages on the scenario's invoice topic (the relay delivers at least once: one per billing event or more). */
async function messagesOn(stack: ChaosStack, cluster: PrivateCluster): Promise<number> {
  const admin = new Kafka({ clientId: 'failover-count', brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(stack.topics.invoices);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}
