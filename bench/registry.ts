import type { Benchmark } from './harness';

/**
 * Every benchmark, by the name `npm run bench -- <name>` takes. Each lives in its own file and
 * is loaded only when it runs. Add one with a line like
 *   ingest: async () => (await import('./ingest')).ingestBenchmark(),
 */
export const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  close: async () => (await import('./close')).closeBenchmark(),
  ingest: async () => (await import('./ingest')).ingestBenchmark(),
  freshness: async () => (await import('./freshness')).freshnessBenchmark(),
  memory: async () => (await import('./memory')).memoryBenchmark(),
  read: async () => (await import('./read')).readBenchmark(),
  fold: async () => (await import('./fold')).foldBenchmark(),
};
