import { Client } from 'pg';
import { storedPositions } from '@metering/db';
import { createKafka, foldLag } from '@metering/kafka';
import { dropDatabase, freshDatabase } from '../bench/database';
import { steadyLoad } from '../bench/load';
import { BENCH_OPERATOR_TOKEN, benchCall, rssBytes, ServiceName, startBenchStack } from '../bench/services';
import type { ScenarioResult } from './report';

const SERVICES: ServiceName[] = ['collector', 'aggregator', 'api', 'invoicing'];
const DB = 'metering_chaos_soak';

interface Sample {
  at: number;
  rss: Record<ServiceName, number>;
  lag: bigint;
}

/**
 * One hour (SOAK_SECONDS) at 10,000 events/s (SOAK_RATE) through the whole pipeline, sampling
 * every service's memory and the aggregator's lag every 10 s. Memory is flat when the mean
 * RSS of the last tenth of the run is within 10% of the first tenth's (after a warm-up);
 * lag does not grow when the last tenth's mean lag is no larger than the first's plus one
 * second of events. Ends with the invariant: every accepted event counted exactly once.
 */
export async function soak(): Promise<ScenarioResult> {
  const seconds = Number(process.env['SOAK_SECONDS'] ?? 3600);
  const rate = Number(process.env['SOAK_RATE'] ?? 10_000);
  const warmup = Math.min(120, seconds / 10);
  const url = await freshDatabase(DB);
  const stack = await startBenchStack('soak', url, SERVICES);
  const kafka = createKafka(stack.env['KAFKA_BROKERS']!.split(','), 'chaos-soak');
  const admin = kafka.admin();
  await admin.connect();
  const db = new Client({ connectionString: url });
  await db.connect();
  const samples: Sample[] = [];
  try {
    await benchCall(`${stack.url.api}/v1/orgs`, BENCH_OPERATOR_TOKEN, { slug: 'load', name: 'load' });
    const host = (await benchCall(`${stack.url.api}/v1/hosts`, BENCH_OPERATOR_TOKEN, { name: 'soak' })).token as string;
    const lag = () =>
      foldLag(admin, stack.topics.usage, () => storedPositions(db, stack.env['AGGREGATOR_GROUP']!, stack.topics.usage));
    const started = Date.now();
    const load = steadyLoad({
      collector: stack.url.collector,
      token: host,
      org: 'load',
      rate,
      batch: 500,
      prefix: `soak-${started}`,
    });
    while (Date.now() - started < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 10_000));
      const rss = Object.fromEntries(SERVICES.map((s) => [s, rssBytes(stack.pid[s])])) as Record<ServiceName, number>;
      samples.push({ at: (Date.now() - started) / 1000, rss, lag: await lag() });
      const last = samples[samples.length - 1]!;
      console.log(
        `soak ${Math.round(last.at)} s: lag ${last.lag}, rss ${SERVICES.map((s) => `${s} ${Math.round(rss[s] / 2 ** 20)} MB`).join(', ')}`,
      );
    }
    const { accepted, seconds: ran } = await load.stop();
    // Let the fold catch up, then check every accepted event is counted once.
    const deadline = Date.now() + 120_000;
    while ((await lag()) > 0n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const { rows } = await db.query<{ events: string }>(
      `SELECT coalesce(sum(events), 0)::text AS events FROM usage_hourly WHERE org = 'load'`,
    );
    const counted = Number(rows[0]!.events);
    const steady = samples.filter((s) => s.at >= warmup);
    const tenth = Math.max(1, Math.floor(steady.length / 10));
    const first = steady.slice(0, tenth);
    const last = steady.slice(-tenth);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const figures: Record<string, string | number> = {
      'duration (s)': Math.round(ran),
      'target rate (events/s)': rate,
      'sustained rate (events/s)': Math.round(accepted / ran),
      'lag, first tenth mean (events)': Math.round(mean(first.map((s) => Number(s.lag)))),
      'lag, last tenth mean (events)': Math.round(mean(last.map((s) => Number(s.lag)))),
      'lag, max (events)': Math.max(...samples.map((s) => Number(s.lag))),
    };
    let memoryFlat = true;
    for (const s of SERVICES) {
      const a = mean(first.map((x) => x.rss[s])) / 2 ** 20;
      const b = mean(last.map((x) => x.rss[s])) / 2 ** 20;
      figures[`${s} RSS first → last tenth (MB)`] =
        `${a.toFixed(0)} → ${b.toFixed(0)} (${(((b - a) / a) * 100).toFixed(1)}%)`;
      if (b > a * 1.1) memoryFlat = false;
    }
    const lagFlat = mean(last.map((s) => Number(s.lag))) <= mean(first.map((s) => Number(s.lag))) + rate;
    figures['memory flat (within 10%)'] = memoryFlat ? 'yes' : 'no';
    figures['lag flat'] = lagFlat ? 'yes' : 'no';
    return {
      name: 'soak',
      title: `${Math.round(ran / 60)} minutes at ${rate.toLocaleString('en-US')} events/s`,
      date: new Date().toISOString(),
      faults: `none: a steady ${rate.toLocaleString('en-US')} events/s for ${Math.round(ran)} s, memory and lag sampled every 10 s`,
      events: accepted,
      recovered: true,
      lost: Math.max(0, accepted - counted),
      doubleCounted: Math.max(0, counted - accepted),
      figures,
      passed: counted === accepted && memoryFlat && lagFlat,
    };
  } finally {
    await db.end();
    await admin.disconnect();
    await stack.stop();
    await dropDatabase(DB);
  }
}
