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
export function writeReliabilityReport(results: ScenarioResult[]): void {
  const stored: Record<string, ScenarioResult> = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, ScenarioResult>) : {};
  for (const r of results) stored[r.name] = r;
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
      (r) => `| ${r.name} | ${r.events.toLocaleString('en-US')} | ${r.faults} | ${r.recovered ? 'yes' : '**no**'} | ${r.lost} | ${r.doubleCounted} | ${r.passed ? 'pass' : '**FAIL**'} |`,
    ),
    '',
  ];
  for (const r of Object.values(stored)) {
    lines.push(`## ${r.name}: ${r.title}`, '', `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC. ${r.faults}`, '');
    for (const [k, v] of Object.entries(r.figures)) lines.push(`- ${k}: ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
    lines.push('');
  }
  writeFileSync(REPORT, `${lines.join('\n')}\n`);
}
