/**
 * `npm run bench [-- name ...]`: runs the benchmarks against the real stack (started by
 * `npm run stack` beforehand) and writes docs/BENCHMARKS.md.
 */
import { runBenchmark } from './harness';
import { BENCHMARKS } from './registry';
import { writeReport } from './report';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !BENCHMARKS[w]);
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  const results = [];
  const failed: string[] = [];
  for (const name of names) {
    // One benchmark failing (a setup error, a service that did not start) must not cost the others' figures.
    try {
      const bench = await BENCHMARKS[name]!();
      const result = await runBenchmark(bench, (line) => console.log(line));
      results.push(result);
      writeReport(results);
      for (const g of result.goals)
        console.log(`${name}: goal ${g.text}: median ${g.median ?? '—'} → ${g.met ? 'met' : 'NOT met'}`);
    } catch (e) {
      failed.push(name);
      console.error(`${name}: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  console.log('wrote docs/BENCHMARKS.md');
  if (failed.length > 0) throw new Error(`benchmark(s) failed: ${failed.join(', ')}`);
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
