import { Hosts } from '../hosts';
import { projectionTally } from '../invariant';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';

export interface KillSize {
  events: number;
  kills: number;
}

const ORGS = ['acme', 'globex', 'initech', 'umbrella'];

/**
 * kill -9 of the aggregator at random moments while events flow through the whole pipeline
 * (hosts → collector → Kafka → aggregator → Postgres), some batches sent two or three times;
 * a new aggregator is started after each kill, as a supervisor would.
 */
export async function killAggregator(size: KillSize): Promise<ScenarioResult> {
  const stack = await ChaosStack.start({ name: 'kill', services: ['api', 'collector', 'aggregator'] });
  try {
    const hosts = new Hosts(() => stack.url('collector'), await stack.seed(ORGS), ORGS, `kill-${Date.now()}`, {
      resendShare: 0.15,
    });
    const started = Date.now();
    // Paced so the kills fall while events flow: about one kill per 10 s of ingest.
    const flow = hosts.flow(size.events, 500, 8, () => Date.now(), size.events / (size.kills * 10));
    let flowing = true;
    let ingested = 0;
    void flow.finally(() => ((flowing = false), (ingested = (Date.now() - started) / 1000))).catch(() => undefined);
    const aggregator = stack.proc('aggregator');
    const restarts: number[] = [];
    for (let k = 0; k < size.kills; k++) {
      // A random moment: while it starts up, fetches, applies, commits, or catches up.
      await sleep(200 + Math.random() * (flowing ? 2_000 : 1_000));
      await aggregator.kill();
      await sleep(Math.random() * 500);
      const t = Date.now();
      await aggregator.start();
      restarts.push(Date.now() - t);
    }
    await flow;
    await stack.foldedToEnd();
    const tally = await projectionTally(stack.pool, hosts, ORGS);
    const median = restarts.sort((a, b) => a - b)[Math.floor(restarts.length / 2)] ?? 0;
    return {
      name: 'kill-aggregator',
      title: 'kill -9 of the aggregator while events flow',
      date: new Date().toISOString(),
      faults: `${aggregator.counts.kills} × kill -9 of the aggregator at random moments; ${hosts.stats.resent.toLocaleString('en-US')} events sent again after their 202`,
      events: hosts.stats.accepted,
      recovered: aggregator.counts.unexpectedExits === 0,
      lost: tally.lost,
      doubleCounted: tally.doubleCounted,
      figures: {
        'distinct events accepted': hosts.stats.accepted,
        'events re-sent (duplicates)': hosts.stats.resent,
        'ingest duration (s)': Math.round(ingested),
        'caught up after the last event (s)': Math.round((Date.now() - started) / 1000 - ingested),
        'aggregator restart to ready, median (ms)': median,
        'host retries': JSON.stringify(hosts.stats.retries),
      },
      passed: tally.lost === 0 && tally.doubleCounted === 0 && tally.events === hosts.stats.accepted,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}`, { cause: e });
  } finally {
    await stack.stop();
  }
}
