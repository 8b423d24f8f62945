import type { Benchmark } from './harness';

/**
 * Every benchmark, by the name `npm run bench -- <name>` takes. Each lives in its own file and
 * is loaded only when it runs. Add one with a line like
 *   ingest: async () => (await import('./ingest')).ingestBenchmark(),
 */
export const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  ingest: async () => (await import('./ingest')).ingestBenchmark(),
  fold: async () => (await import('./fold')).foldBenchmark(),
  'fold-rollups': async () => (await import('./fold-rollups')).foldRollupsBenchmark(),
  freshness: async () => (await import('./freshness')).freshnessBenchmark(),
  close: async () => (await import('./close')).closeBenchmark(),
  read: async () => (await import('./read')).readBenchmark(),
  memory: async () => (await import('./memory')).memoryBenchmark(),
  'kafka-clients': async () => (await import('./kafka-clients')).kafkaClientsBenchmark(),
  'kafka-cluster': async () => (await import('./kafka-cluster')).kafkaClusterBenchmark(),
  e2e: async () => (await import('./e2e')).e2eBenchmark(),
};
