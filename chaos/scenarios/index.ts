import type { ScenarioResult } from '../report';
import { alertsChaos } from './alerts';
import { brokerFailover } from './broker-failover';
import { brokerRestart } from './broker-restart';
import { killAggregator } from './kill-aggregator';
import { lateEvents } from './late-events';
import { postgresRestart } from './postgres-restart';
import { racingCloses } from './racing-closes';
import { rebalance } from './rebalance';

/** 1 is the full run `npm run chaos` reports; a fraction (0.02 in `npm test`) scales the events and faults down. */
export const FULL_SIZE = 1;

const at = (scale: number, full: number, least: number) => Math.max(least, Math.round(full * scale));

export const SCENARIOS: Record<string, (scale: number) => Promise<ScenarioResult>> = {
  'kill-aggregator': (s) => killAggregator({ events: at(s, 1_000_000, 10_000), kills: at(s, 20, 3) }),
  'broker-restart': (s) => brokerRestart({ events: at(s, 300_000, 6_000), downSeconds: at(s, 20, 8) }),
  'broker-failover': (s) => brokerFailover({ events: at(s, 300_000, 6_000), downSeconds: at(s, 20, 8) }),
  'postgres-restart': (s) =>
    postgresRestart({
      events: at(s, 300_000, 6_000),
      orgs: at(s, 3_000, 100),
      downSeconds: at(s, 15, 5),
      closeCrashes: at(s, 3, 2),
    }),
  'late-events': (s) =>
    lateEvents({
      onTime: at(s, 200_000, 2_000),
      late: at(s, 50_000, 500),
      current: at(s, 50_000, 500),
      batch: at(s, 500, 50),
    }),
  'racing-closes': (s) =>
    racingCloses({ orgs: at(s, 500, 20), events: at(s, 200_000, 2_000), closes: at(s, 8, 3), batch: at(s, 500, 50) }),
  rebalance: (s) => rebalance({ events: at(s, 300_000, 6_000), changes: at(s, 8, 3) }),
  alerts: (s) => alertsChaos({ orgs: at(s, 20, 3), alerts: at(s, 10, 3), kills: at(s, 6, 3) }),
  soak: async () => (await import('../soak')).soak(),
};
