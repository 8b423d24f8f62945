/**
 * The benchmark harness: every benchmark runs once to warm up, then `runs` measured times on
 * the same machine in the same process; each figure is reported as its median with min–max.
 * A benchmark measures its baseline in the same run and reports the ratio as a figure of its
 * own, since this machine is shared and absolute figures drift.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** For the report: is more better (throughput) or less (latency, memory)? */
  better: 'higher' | 'lower';
}

export interface Goal {
  figure: string;
  /** The goal is met when the median is at least (`>=`) or at most (`<=`) this. */
  op: '>=' | '<=';
  value: number;
  text: string;
}

export interface Benchmark {
  name: string;
  title: string;
  /** What one run does, in a sentence or two, for the report. */
  method: string;
  goals: Goal[];
  runs?: number;
  setup?(): Promise<void>;
  run(): Promise<Figure[]>;
  teardown?(): Promise<void>;
}

export interface Summary {
  name: string;
  value: number;
  min: number;
  max: number;
  unit: string;
  better: Figure['better'];
  samples: number[];
}

export interface BenchResult {
  name: string;
  title: string;
  method: string;
  date: string;
  runs: number;
  figures: Summary[];
  goals: (Goal & { median: number | null; met: boolean })[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function summarize(runs: Figure[][]): Summary[] {
  const names = runs[0]?.map((f) => f.name) ?? [];
  return names.map((name) => {
    const samples = runs.map((r) => r.find((f) => f.name === name)?.value ?? Number.NaN);
    const first = runs[0]!.find((f) => f.name === name)!;
    return {
      name,
      value: median(samples),
      min: Math.min(...samples),
      max: Math.max(...samples),
      unit: first.unit,
      better: first.better,
      samples,
    };
  });
}

export async function runBenchmark(b: Benchmark, log: (line: string) => void): Promise<BenchResult> {
  const runs = b.runs ?? 3;
  log(`${b.name}: ${b.title}`);
  await b.setup?.();
  try {
    log(`${b.name}: warm-up`);
    await b.run();
    const measured: Figure[][] = [];
    for (let i = 1; i <= runs; i++) {
      const figures = await b.run();
      log(`${b.name}: run ${i}/${runs}: ${figures.map((f) => `${f.name} ${fmt(f.value)} ${f.unit}`).join(', ')}`);
      measured.push(figures);
    }
    const figures = summarize(measured);
    return {
      name: b.name,
      title: b.title,
      method: b.method,
      date: new Date().toISOString(),
      runs,
      figures,
      goals: b.goals.map((g) => {
        const m = figures.find((f) => f.name === g.figure)?.value ?? null;
        return { ...g, median: m, met: m !== null && (g.op === '>=' ? m >= g.value : m <= g.value) };
      }),
    };
  } finally {
    await b.teardown?.();
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}
