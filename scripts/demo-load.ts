/**
 * The demo's load generator: the platform hosts of a simulated fleet catching up on a month of
 * usage. Each host (one per region) reports its machines' hours as they end; replaying the
 * month, a host sends its backlog in requests of up to `batch` events (a few of its hours at
 * once), never more than `inFlight` requests at a time over keep-alive connections. The bodies
 * are JSON text made without building event objects (`appendHourEventsJson`), so the generator
 * leaves the CPU to the pipeline it measures.
 */
import { Agent } from 'node:http';
import { appendHourEventsJson, hostOf, Machine } from '@metering/fleet';
import { post } from '../bench/ingest-load';

const HOUR = 3_600_000;

/** The demo's named organizations, the largest first. */
export const NAMED = [
  ['acme', 'Acme Corp'],
  ['globex', 'Globex Corporation'],
  ['initech', 'Initech'],
  ['umbrella', 'Umbrella Health'],
  ['hooli', 'Hooli'],
  ['piedpiper', 'Pied Piper'],
  ['soylent', 'Soylent'],
  ['stark', 'Stark Industries'],
] as const;
/**
 * The organizations of a fleet of `count`: the named ones first, then a tail of smaller
 * customers. Shares fall as 1/sqrt(rank): a platform of 10,000 machines has more than eight
 * customers, and with key = org on usage.events.v1 one organization's events are one
 * partition's, which one transaction at a time folds: with eight organizations at Zipf shares
 * the largest held 37% of the log and its partition alone set the demo's pace.
 */
export function organizations(count: number): { orgs: (readonly [string, string])[]; weights: number[] } {
  const orgs: (readonly [string, string])[] = [...NAMED.slice(0, count)];
  for (let i = orgs.length; i < count; i++) {
    const n = String(i - NAMED.length + 1).padStart(2, '0');
    orgs.push([`customer-${n}`, `Customer ${n}`]);
  }
  return { orgs, weights: orgs.map((_, i) => 1 / Math.sqrt(i + 1)) };
}

export interface ReplayOptions {
  collector: string;
  fleet: readonly Machine[];
  fromHour: number;
  toHour: number;
  /** Host token by source (`host/ord-01`). */
  tokens: ReadonlyMap<string, string>;
  batch: number;
  inFlight: number;
  progress?(posted: number, seconds: number): void;
}

export interface ReplayResult {
  posted: number;
  rejected: number;
  requests: number;
  seconds: number;
}

export async function replayFleet(o: ReplayOptions): Promise<ReplayResult> {
  const url = new URL(o.collector);
  const agent = new Agent({ keepAlive: true, maxSockets: o.inFlight });
  const byHost = new Map<string, Machine[]>();
  for (const m of o.fleet) byHost.set(hostOf(m), [...(byHost.get(hostOf(m)) ?? []), m]);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let posted = 0;
  let rejected = 0;
  let requests = 0;
  let lastProgress = started;
  let failure: unknown = null;

  const send = async (source: string, events: string[]) => {
    const token = o.tokens.get(source);
    if (!token) throw new Error(`no token for ${source}`);
    const body = `[${events.join(',')}]`;
    for (let attempt = 1; ; attempt++) {
      const res = await post(agent, url, token, body);
      if (res.status === 202) {
        const answer = JSON.parse(res.text) as { accepted: number; rejected: unknown[] };
        posted += answer.accepted;
        rejected += answer.rejected.length;
        requests++;
        if (answer.rejected.length > 0) console.error('rejected:', JSON.stringify(answer.rejected.slice(0, 3)));
        return;
      }
      // 503 (Kafka unavailable) or 429 (rate limited): re-sending the whole batch is safe, (source, id) deduplicates.
      if ((res.status !== 503 && res.status !== 429) || attempt >= 10)
        throw new Error(`POST /v1/events: ${res.status} ${res.text.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  };
  const enqueue = async (source: string, events: string[]) => {
    while (inFlight.size >= o.inFlight) await Promise.race(inFlight);
    if (failure) throw failure;
    const p: Promise<void> = send(source, events)
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    const now = performance.now();
    if (o.progress && now - lastProgress > 15_000) {
      lastProgress = now;
      o.progress(posted, (now - started) / 1000);
    }
  };

  try {
    const buffers = new Map<string, string[]>([...byHost.keys()].map((h) => [h, []]));
    for (let h = o.fromHour; h < o.toHour; h += HOUR) {
      for (const [source, machines] of byHost) {
        const buf = buffers.get(source)!;
        for (const m of machines) appendHourEventsJson(m, h, buf);
        // A host sends what it has measured in requests of `batch` events; the rest waits for its next hours.
        while (buf.length >= o.batch) await enqueue(source, buf.splice(0, o.batch));
      }
    }
    for (const [source, buf] of buffers) if (buf.length > 0) await enqueue(source, buf);
    await Promise.all(inFlight);
    if (failure) throw failure;
  } finally {
    agent.destroy();
  }
  return { posted, rejected, requests, seconds: (performance.now() - started) / 1000 };
}
