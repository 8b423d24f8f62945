import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const RESULTS = join(root, 'docs', 'reliability.json');
const REPORT = join(root, 'docs', 'RELIABILITY.md');

/** What one scenario did and what it found: the invariant's verdict and the figures behind it. */
export interface ScenarioResult {
  name: string;
  title: string;
  date: string;
  /** What was done to the system, in a sentence or two. */
  faults: string;
  events: number;
  recovered: boolean;
  lost: number;
  doubleCounted: number;
  /** Anything else worth reading: durations, peaks, counts. */
  figures: Record<string, string | number>;
  passed: boolean;
}

/** Merges results into docs/reliability.json and rewrites docs/RELIABILITY.md. */
export function writeReliabilityReport(results: ScenarioResult[], order: readonly string[] = []): void {
  const read: Record<string, ScenarioResult> = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, ScenarioResult>)
    : {};
  for (const r of results) read[r.name] = r;
  // In the order the runner lists the scenarios, whatever order they were last run in.
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const stored = Object.fromEntries(Object.entries(read).sort(([a], [b]) => rank(a) - rank(b)));
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(stored, null, 2)}\n`);
  const lines = [
    '# Reliability',
    '',
    'Written by `npm run chaos` (or `npm run chaos -- <scenario>`), against the real stack: Kafka, Postgres and the',
    'services as separate processes. Every scenario ends by checking the invariant: every distinct event that was',
    'accepted is in the projections exactly once (and, for closed periods, in exactly one invoice line).',
    '',
    `Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    '| scenario | events | faults injected | recovered | lost | double-counted | result |',
    '| --- | ---: | --- | :---: | ---: | ---: | :---: |',
    ...Object.values(stored).map(
      (r) =>
        `| ${r.name} | ${r.events.toLocaleString('en-US')} | ${r.faults} | ${r.recovered ? 'yes' : '**no**'} | ${r.lost} | ${r.doubleCounted} | ${r.passed ? 'pass' : '**FAIL**'} |`,
    ),
    '',
  ];
  for (const r of Object.values(stored)) {
    lines.push(`## ${r.name}: ${r.title}`, '', `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC. ${r.faults}`, '');
    for (const [k, v] of Object.entries(r.figures))
      lines.push(`- ${k}: ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
    lines.push('');
  }
  lines.push(
    '## Checked by `npm test` on every run',
    '',
    '- Every scenario above at 2% of its size (`test/chaos-pipeline.e2e.spec.ts`, `test/chaos-billing.e2e.spec.ts`).',
    '- Hostile input (`test/hostile.e2e.spec.ts`): a seeded corpus of over 500 malformed requests to every service (fuzzed',
    '  and deeply nested JSON, wrong types, huge and tiny numbers, odd Unicode, oversized and slow bodies, wrong content',
    '  types, SQL in every parameter), each answered with its 4xx within its bound; every service live and ready after',
    '  them; nothing of them counted.',
    '- Security: the authorization matrix over every endpoint of every service (`test/authorization.e2e.spec.ts`);',
    '  tokens stored only as SHA-256 hashes; per-token rate limits on ingest and reads, 429 with `Retry-After`',
    '  (`test/rate-limit.e2e.spec.ts`); the services connect as `metering_app`, which cannot alter the schema or get',
    '  past the invoice triggers (`test/service-role.int.spec.ts`); every service binds 127.0.0.1 unless told otherwise.',
    '',
  );
  writeFileSync(REPORT, `${lines.join('\n')}\n`);
}
