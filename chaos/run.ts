/**
 * `npm run chaos [-- scenario ...]`: fault scenarios against the real stack, each ending with
 * the invariant checked; writes docs/RELIABILITY.md. `CHAOS_SCALE=0.1` runs them smaller.
 */
import { writeReliabilityReport, ScenarioResult } from './report';
import { FULL_SIZE, SCENARIOS } from './scenarios';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SCENARIOS[w]);
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const scale = Number(process.env['CHAOS_SCALE'] ?? 1);
  let failed = 0;
  for (const name of wanted.length > 0 ? wanted : Object.keys(SCENARIOS).filter((s) => s !== 'soak')) {
    console.log(`chaos: ${name}`);
    const t = Date.now();
    let result: ScenarioResult;
    try {
      result = await SCENARIOS[name]!(scale === 1 ? FULL_SIZE : scale);
    } catch (e) {
      console.error(`chaos: ${name} could not finish: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      failed++;
      continue;
    }
    if (scale === 1) writeReliabilityReport([result], Object.keys(SCENARIOS));
    console.log(
      `chaos: ${name}: ${result.passed ? 'pass' : 'FAIL'} in ${Math.round((Date.now() - t) / 1000)} s (events ${result.events}, lost ${result.lost}, double-counted ${result.doubleCounted})`,
    );
    console.log(JSON.stringify(result.figures, null, 2));
    if (!result.passed) failed++;
  }
  if (scale === 1) console.log('wrote docs/RELIABILITY.md');
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(`chaos failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
