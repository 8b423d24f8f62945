import { apiCases } from './api-cases';
import { collectorCases } from './collector-cases';
import { CorpusContext, HostileCase, makeKit } from './kit';
import { wireCases } from './wire-cases';

export * from './kit';

/**
 * A corpus of hostile requests against the collector, the API and the invoicing service, and
 * the answer each must get. Deterministic: the fuzzed cases come from a seeded generator, so a
 * seed and a clock always give the same bytes (the clock only places event times inside the
 * acceptance window).
 *
 * Every request is written byte for byte (request line, headers, body), so it can carry what a
 * URL or fetch would refuse to send: raw non-UTF-8 bytes, duplicate headers, bad framing.
 *
 * Events in the corpus name the target organization, and many whole-request refusals carry
 * perfectly valid events of it (a valid batch truncated, too large, wrongly typed, badly
 * authorized...): none of them may be counted. Every event of the corpus has an id starting
 * with HOSTILE_ID_PREFIX, so the test can look for any of them in Kafka.
 */
export function buildCorpus(ctx: CorpusContext): HostileCase[] {
  const cases: HostileCase[] = [];
  const kit = makeKit(ctx, cases);
  collectorCases(kit);
  apiCases(kit);
  wireCases(kit);
  return cases;
}
