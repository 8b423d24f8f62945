import { Hosts } from '../hosts';
import { outageSurvived, projectionTally } from '../invariant';
import { createPrivateBroker } from '../private-broker';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';

export interface BrokerSize {
  events: number;
  /** Seconds the broker stays down each time. */
  downSeconds: number;
}

const ORGS = ['acme', 'globex', 'initech'];

/**
 * The Kafka broker stopped and started again mid-ingest, twice: once cleanly (SIGTERM), once
 * killed (SIGKILL, as a crashed machine). The collector answers 503 while it is away, the
 * hosts retry, and nothing acknowledged is lost; the aggregator carries on by itself.
 */
export async function brokerRestart(size: BrokerSize): Promise<ScenarioResult> {
  const broker = await createPrivateBroker();
  await broker.start();
  const stack = await ChaosStack.start({ name: 'broker', services: ['api', 'collector', 'aggregator'], broker }).catch(
    async (e) => {
      await broker.destroy();
      throw e;
    },
  );
  try {
    const hosts = new Hosts(() => stack.url('collector'), await stack.seed(ORGS), ORGS, `broker-${Date.now()}`, {
      resendShare: 0.1,
    });
    // Paced to span both outages with events flowing before, during and after them.
    const seconds = 4 * size.downSeconds + 20;
    const flow = hosts.flow(size.events, 250, 8, () => Date.now(), size.events / seconds);
    const outages: { how: string; down: number; firstAcceptedAfter: number }[] = [];
    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      await sleep((seconds / 5) * 1000);
      const acceptedBefore = hosts.stats.accepted;
      const t = Date.now();
      await (how === 'SIGTERM' ? broker.stop() : broker.kill());
      await sleep(size.downSeconds * 1000);
      await broker.start();
      const up = Date.now();
      while (hosts.stats.accepted === acceptedBefore && Date.now() - up < 120_000) await sleep(50);
      outages.push({ how, down: Math.round((up - t) / 100) / 10, firstAcceptedAfter: Date.now() - up });
    }
    await flow;
    await stack.foldedToEnd();
    const tally = await projectionTally(stack.pool, hosts, ORGS);
    const unexpected = ['collector', 'aggregator'].reduce((n, s) => n + stack.proc(s).counts.unexpectedExits, 0);
    if (unexpected > 0) console.error(`a service died by itself:\n${stack.logs()}`);
    return {
      name: 'broker-restart',
      title: 'the Kafka broker stopped and restarted mid-ingest',
      date: new Date().toISOString(),
      faults: `the broker stopped (SIGTERM) and later killed (SIGKILL), ${size.downSeconds} s down each time, while hosts posted`,
      events: hosts.stats.accepted,
      recovered: unexpected === 0,
      lost: tally.lost,
      doubleCounted: tally.doubleCounted,
      figures: {
        ...hosts.figures(),
        ...Object.fromEntries(
          outages.map((o) => [
            `${o.how}: from stop to answering again (s), then to the first 202 (ms)`,
            `${o.down}, ${o.firstAcceptedAfter}`,
          ]),
        ),
        'service restarts needed': unexpected,
      },
      passed: outageSurvived(tally, hosts, unexpected),
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}\n--- broker\n${broker.logTail()}`, { cause: e });
  } finally {
    await stack.stop();
    await broker.destroy();
  }
}
