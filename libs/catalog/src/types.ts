/** One reason an event was rejected. `path` is dotted and relative to the event
 *  ("data.quantity", "time"; "" for the event itself) so hosts can map it back to their payload. */
export interface Fault {
  path: string;
  message: string;
}

import type { OrgId } from '@metering/domain';

/** A validated event: what travels on Kafka (Avro) and what the fold reads. */
export interface UsageEvent {
  id: string;
  source: string;
  type: string;
  /** Epoch milliseconds, UTC. */
  time: number;
  org: OrgId;
  /** "" when the usage belongs to no app. */
  app: string;
  resource: string;
  region: string;
  /** Canonical decimal string ("60", "0.25"): exact, so nothing downstream rounds through a float. */
  quantity: string;
  /** Derived from the catalog, e.g. "machine.runtime/shared-cpu-1x", "network.egress/eu". */
  sku: string;
  size: string | null;
  gpu: string | null;
  memoryMb: number | null;
}

export type Validation = { ok: true; event: UsageEvent } | { ok: false; errors: Fault[] };
