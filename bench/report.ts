import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { goalsChart } from './chart';
import { BenchResult, fmt } from './harness';
import { stackKafkaVersion } from '../scripts/kafka-libs';

const root = join(__dirname, '..', '..');
export const RESULTS_FILE = join(root, 'docs', 'benchmarks.json');
export const REPORT_FILE = join(root, 'docs', 'BENCHMARKS.md');
export const CHART_FILE = join(root, 'docs', 'benchmarks.svg');
/** Hand-written: what bounds a goal that is not met, read off profiles and the figures above. */
export const NOTES_FILE = join(root, 'docs', 'benchmark-bounds.md');

interface Stored {
  machine: Record<string, string>;
  results: Record<string, BenchResult>;
}

function machine(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    kafka: `Apache Kafka ${stackKafkaVersion()} (single-node KRaft, same machine)`,
    postgres: 'PostgreSQL (same machine)',
    kafkajs: pkg.dependencies['kafkajs'] ?? '?',
    pg: pkg.dependencies['pg'] ?? '?',
    nestjs: pkg.dependencies['@nestjs/core'] ?? '?',
  };
}

/** Merges new results into docs/benchmarks.json (so one benchmark can be re-run alone) and rewrites the report. */
export function writeReport(results: BenchResult[], extraMachine: Record<string, string> = {}): void {
  const stored: Stored = existsSync(RESULTS_FILE)
    ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Stored)
    : { machine: {}, results: {} };
  stored.machine = { ...stored.machine, ...machine(), ...extraMachine };
  for (const r of results) stored.results[r.name] = r;
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(stored, null, 2)}\n`);
  writeFileSync(REPORT_FILE, render(stored));
  writeFileSync(CHART_FILE, goalsChart(Object.values(stored.results)));
}

function render(s: Stored): string {
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (or `npm run bench -- <name> ...` for some). Each benchmark warms up',
    'once, then runs 3 times (or as many as its section says); figures are medians with min–max.',
    'Baselines are measured in the same run, on the same machine, and compared as ratios: the machine',
    'is shared, so absolute figures drift.',
    '',
    '![Every goal and where its median stands](benchmarks.svg)',
    '',
    '## Machine',
    '',
    ...Object.entries(s.machine).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ];
  for (const r of Object.values(s.results)) {
    lines.push(
      `## ${r.name}: ${r.title}`,
      '',
      `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.runs} measured runs. ${r.method}`,
      '',
    );
    lines.push('| figure | median | min – max | unit |', '| --- | ---: | ---: | --- |');
    for (const f of r.figures)
      lines.push(`| ${f.name} | ${fmt(f.value)} | ${fmt(f.min)} – ${fmt(f.max)} | ${f.unit} |`);
    if (r.goals.length > 0) {
      lines.push('', '| goal | median | met |', '| --- | ---: | :---: |');
      for (const g of r.goals)
        lines.push(`| ${g.text} | ${g.median === null ? '—' : fmt(g.median)} | ${g.met ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  if (existsSync(NOTES_FILE)) lines.push(readFileSync(NOTES_FILE, 'utf8').trim(), '');
  return `${lines.join('\n')}\n`;
}
