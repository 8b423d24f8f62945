import { Hosts } from '../hosts';
import { projectionTally } from '../invariant';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';

export interface RebalanceSize {
  events: number;
  /** Membership changes: an instance joining, leaving cleanly, or killed. */
  changes: number;
}

const ORGS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];

/**
 * Two aggregator instances in one consumer group under load, their membership changing again
 * and again: one joins, one leaves cleanly (SIGTERM), one is killed (kill -9) and is replaced.
 * Each change moves partitions between them mid-batch; every event still counts once.
 */
export async function rebalance(size: RebalanceSize): Promise<ScenarioResult> {
  const stack = await ChaosStack.start({ name: 'rebalance', services: ['api', 'collector', 'aggregator'] });
  try {
    const hosts = new Hosts(() => stack.url('collector'), await stack.seed(ORGS), ORGS, `rebalance-${Date.now()}`, {
      resendShare: 0.1,
    });
    const seconds = size.changes * 8 + 10;
    const flow = hosts.flow(size.events, 500, 8, () => Date.now(), size.events / seconds);
    const second = await stack.spawn('aggregator', 'aggregator-2');
    const first = stack.proc('aggregator');
    const log: string[] = ['#2 joined'];
    for (let c = 1; c < size.changes; c++) {
      await sleep(3_000 + Math.random() * 4_000);
      const [victim, label] = Math.random() < 0.5 ? [first, '#1'] : [second, '#2'];
      if (c % 2 === 1) {
        await victim.stop();
        log.push(`${label} left`);
      } else {
        await victim.kill();
        log.push(`${label} killed`);
      }
      await sleep(Math.random() * 2_000);
      await victim.start();
      log.push(`${label} rejoined`);
    }
    await flow;
    await stack.foldedToEnd();
    const tally = await projectionTally(stack.pool, hosts, ORGS);
    const kinds = (what: string) => log.filter((l) => l.endsWith(` ${what}`)).length;
    const unexpected = first.counts.unexpectedExits + second.counts.unexpectedExits;
    return {
      name: 'rebalance',
      title: 'two aggregator instances rebalancing under load',
      date: new Date().toISOString(),
      faults: `${log.length} membership changes of a two-instance group while events flowed: ${kinds('joined')} joins, ${kinds('left')} clean leaves (SIGTERM), ${kinds('killed')} kill -9, each followed by a rejoin`,
      events: hosts.stats.accepted,
      recovered: unexpected === 0,
      lost: tally.lost,
      doubleCounted: tally.doubleCounted,
      figures: {
        'distinct events accepted': hosts.stats.accepted,
        'events re-sent (duplicates)': hosts.stats.resent,
        'membership changes': log.join(', '),
        'kill -9': first.counts.kills + second.counts.kills,
      },
      passed:
        tally.lost === 0 && tally.doubleCounted === 0 && tally.events === hosts.stats.accepted && unexpected === 0,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}`, { cause: e });
  } finally {
    await stack.stop();
  }
}
