/**
 * `npm run chaos [-- scenario ...]`: fault scenarios against the real stack, each ending with
 * the invariant checked; writes docs/RELIABILITY.md.
 */
import { writeReliabilityReport, ScenarioResult } from './report';

const SCENARIOS: Record<string, () => Promise<ScenarioResult>> = {
  soak: async () => (await import('./soak')).soak(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !SCENARIOS[w]);
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  let failed = 0;
  for (const name of wanted.length > 0 ? wanted : Object.keys(SCENARIOS)) {
    console.log(`chaos: ${name}`);
    const result = await SCENARIOS[name]!();
    writeReliabilityReport([result]);
    console.log(`chaos: ${name}: ${result.passed ? 'pass' : 'FAIL'} (lost ${result.lost}, double-counted ${result.doubleCounted})`);
    if (!result.passed) failed++;
  }
  console.log('wrote docs/RELIABILITY.md');
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(`chaos failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
