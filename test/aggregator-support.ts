import { asValidatedOrg } from '@metering/domain';
import type { INestApplication } from '@nestjs/common';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { fromScaled, skuFor, toScaled, UsageEvent } from '@metering/catalog';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from '@metering/kafka';
import type { MeteringConfig } from '@metering/service';
import { createAggregatorApp } from '../apps/aggregator/src/app';

/** What the aggregator integration tests share: events, producing them, and the expected projections. */

const HOUR = 3_600_000;
const REGIONS = ['ord', 'fra', 'syd', 'gru'];
const ORGS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'wonka'];

/** `count` distinct valid events spread over orgs, hours, SKUs, apps, regions and resources. */
export function usageEvents(count: number, base: number, prefix = 'e'): UsageEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const region = REGIONS[i % REGIONS.length]!;
    const kind = i % 3;
    const type = kind === 0 ? 'machine.runtime' : kind === 1 ? 'network.egress' : 'volume.storage';
    const attrs: Record<string, string> = kind === 0 ? { size: i % 2 ? 'shared-cpu-1x' : 'performance-2x' } : {};
    return {
      id: `${prefix}-${i}`,
      source: `host/${region}-0${i % 3}`,
      type,
      time: base + (i % 5) * HOUR + (i % 60) * 60_000,
      org: asValidatedOrg(ORGS[i % ORGS.length]!),
      app: i % 4 === 0 ? '' : `app${i % 3}`,
      resource: `r_${i % 40}`,
      region,
      quantity: kind === 2 ? `${i % 10}.${(i % 9) + 1}` : String(i * 13),
      sku: skuFor(type, attrs, region),
      size: attrs['size'] ?? null,
      gpu: null,
      memoryMb: null,
    };
  });
}

export async function producer(kafka: Kafka): Promise<Producer> {
  const p = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await p.connect();
  return p;
}

/** Produces events as the collector does (Avro, keyed by org, the schema header); `partition` overrides the key's. */
export async function produce(p: Producer, topic: string, events: UsageEvent[], partition?: number): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await p.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 1000).map((e) => ({
        key: e.org,
        value: encodeUsageEvent(e, Date.now()),
        headers: { schema: USAGE_EVENT_SCHEMA },
        ...(partition === undefined ? {} : { partition }),
      })),
    });
  }
}

export interface Projections {
  hourly: string[];
  resources: string[];
}

/**
 * The projections the events must fold to, computed here independently of the fold: each
 * distinct (source, id, hour) once, its quantity summed exactly as a bigint.
 */
export function expectedProjections(events: UsageEvent[]): Projections {
  const seen = new Set<string>();
  const hourly = new Map<string, [bigint, number]>();
  const resources = new Map<string, [bigint, number]>();
  const add = (m: Map<string, [bigint, number]>, k: string, q: bigint) => {
    const v = m.get(k) ?? [0n, 0];
    m.set(k, [v[0] + q, v[1] + 1]);
  };
  for (const e of events) {
    const hour = Math.floor(e.time / HOUR) * HOUR;
    const id = `${e.source}\u0000${e.id}\u0000${hour}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const k = [e.org, new Date(hour).toISOString(), e.sku, e.app, e.region].join('|');
    add(hourly, k, toScaled(e.quantity));
    add(resources, `${k}|${e.resource}`, toScaled(e.quantity));
  }
  const rows = (m: Map<string, [bigint, number]>) => [...m].map(([k, [q, n]]) => `${k}|${fromScaled(q)}|${n}`).sort();
  return { hourly: rows(hourly), resources: rows(resources) };
}

/** The projections as stored, in the same shape. */
export async function storedProjections(pool: Pool): Promise<Projections> {
  const iso = `to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const { rows: h } = await pool.query<{ r: string }>(
    `SELECT concat_ws('|', org, ${iso}, sku, app, region, trim_scale(quantity)::text, events::text) AS r FROM usage_hourly`,
  );
  const { rows: r } = await pool.query<{ r: string }>(
    `SELECT concat_ws('|', org, ${iso}, sku, app, region, resource, trim_scale(quantity)::text, events::text) AS r FROM usage_resource_hourly`,
  );
  return { hourly: h.map((x) => x.r).sort(), resources: r.map((x) => x.r).sort() };
}

export async function seenCount(pool: Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM seen_events')).rows[0]!.n);
}

/** An aggregator in this process, as `npm run aggregator` runs it, on a free port. */
export async function startAggregator(config: MeteringConfig): Promise<{ app: INestApplication; url: string }> {
  const app = await createAggregatorApp(config);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

export async function waitReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`aggregator at ${url} not ready after ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
