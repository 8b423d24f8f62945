import type { ScenarioResult } from '../../chaos/report';
import { SCENARIOS } from '../../chaos/scenarios';

/**
 * The CI-sized version of `npm run chaos` (scale 0.02): the same scenarios against real
 * processes, a real broker (a private one where the broker is the fault) and real Postgres,
 * each ending with the invariant checked. The full-size figures are in docs/RELIABILITY.md.
 */
export async function runScenario(name: string): Promise<ScenarioResult> {
  const result = await SCENARIOS[name]!(0.02);
  const verdict = {
    passed: result.passed,
    recovered: result.recovered,
    lost: result.lost,
    doubleCounted: result.doubleCounted,
    counted: result.events > 0,
  };
  if (!result.passed) console.error(`${name}: ${JSON.stringify(result.figures, null, 2)}`);
  expect(verdict).toEqual({ passed: true, recovered: true, lost: 0, doubleCounted: 0, counted: true });
  return result;
}
