/**
 * `npm run demo`: the pipeline doing its job on a simulated fleet. Starts the four services
 * (unless they already run), creates organizations and one platform host per region, replays
 * the last 30 days of a simulated fleet (2,000 machines; `--machines 10000` for the full one)
 * through the collector, waits until the aggregator has folded everything, closes the last
 * full month and prints the invoices, then the dashboard's address with a token to sign in with.
 *
 *   npm run demo -- [--machines 2000] [--days 30] [--exit]
 */
import { spawn, ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { continentOf } from '@metering/catalog';
import { fleetEvents, HostEvent, simulateFleet } from '@metering/fleet';
import { loadConfig } from '@metering/service';
import { Dec, formatUsd, sumDec } from '@metering/domain';

const HOUR = 3_600_000;
const ORGS = [
  ['acme', 'Acme Corp'],
  ['globex', 'Globex Corporation'],
  ['initech', 'Initech'],
  ['umbrella', 'Umbrella Health'],
  ['hooli', 'Hooli'],
  ['piedpiper', 'Pied Piper'],
  ['soylent', 'Soylent'],
  ['stark', 'Stark Industries'],
] as const;
const BATCH = 1000;
const IN_FLIGHT = 8;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive whole number`);
  return v;
}

const config = loadConfig();
const url = {
  collector: `http://127.0.0.1:${config.ports.collector}`,
  aggregator: `http://127.0.0.1:${config.ports.aggregator}`,
  invoicing: `http://127.0.0.1:${config.ports.invoicing}`,
  api: `http://127.0.0.1:${config.ports.api}`,
};
const op = config.operatorToken;

async function call(u: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(u, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function allReady(): Promise<boolean> {
  const answers = await Promise.all(
    Object.values(url).map((u) =>
      fetch(`${u}/health/ready`).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  return answers.every(Boolean);
}

async function startServices(logFile: string): Promise<ChildProcess | null> {
  if (await allReady()) {
    console.log('services: already running');
    return null;
  }
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'scripts', 'services.mjs')], {
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const deadline = Date.now() + 60_000;
  while (!(await allReady())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`services did not become ready; log ${logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(`services: started (logs: ${logFile})`);
  return child;
}

async function postAll(
  events: Iterable<HostEvent>,
  tokens: Map<string, string>,
): Promise<{ posted: number; rejected: number }> {
  const buffers = new Map<string, HostEvent[]>();
  const inFlight = new Set<Promise<void>>();
  let posted = 0;
  let rejected = 0;
  const post = async (source: string, batch: HostEvent[]) => {
    for (let attempt = 1; ; attempt++) {
      const res = await call(`${url.collector}/v1/events`, tokens.get(source)!, batch);
      if (res.status === 202) {
        posted += res.json.accepted;
        rejected += res.json.rejected.length;
        if (res.json.rejected.length > 0) console.error('rejected:', JSON.stringify(res.json.rejected.slice(0, 3)));
        return;
      }
      // 503: Kafka unavailable; re-sending the whole batch is safe (deduplicated by source and id).
      if (res.status !== 503 || attempt >= 10)
        throw new Error(`POST /v1/events: ${res.status} ${JSON.stringify(res.json)}`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  };
  const send = async (source: string, batch: HostEvent[]) => {
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    const p = post(source, batch).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for (const e of events) {
    const buf = buffers.get(e.source) ?? [];
    buf.push(e);
    buffers.set(e.source, buf);
    if (buf.length >= BATCH) {
      buffers.delete(e.source);
      await send(e.source, buf);
    }
  }
  for (const [source, buf] of buffers) await send(source, buf);
  await Promise.all(inFlight);
  return { posted, rejected };
}

async function main(): Promise<void> {
  // A month of 10,000 machines is ~18 million events: `--machines 10000` replays the contract's
  // full fleet, a quarter of an hour on a 2-core machine; the default shows the same in minutes.
  const machines = arg('machines', 2_000);
  const days = arg('days', 30);
  if (days > 34) throw new Error('--days: at most 34 (the collector refuses events over 35 days old)');
  const home = process.env['METERING_HOME'] ?? join(homedir(), '.cache', 'usage-metering');
  mkdirSync(join(home, 'logs'), { recursive: true });
  const child = await startServices(join(home, 'logs', 'services.log'));

  for (const [slug, name] of ORGS) {
    const res = await call(`${url.api}/v1/orgs`, op, { slug, name });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`POST /v1/orgs: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const fleet = simulateFleet({ machines, orgs: ORGS.map(([s]) => s) });
  const tokens = new Map<string, string>();
  for (const region of new Set(fleet.map((m) => m.region))) {
    const res = await call(`${url.api}/v1/hosts`, op, { name: `${region}-01` });
    tokens.set(`host/${region}-01`, res.json.token);
  }

  const toHour = Math.floor(Date.now() / HOUR) * HOUR;
  const fromHour = toHour - days * 24 * HOUR;
  const started = Date.now();
  console.log(
    `replaying ${machines.toLocaleString('en-US')} machines x ${days} days (${new Date(fromHour).toISOString()} .. ${new Date(toHour).toISOString()}) through the collector`,
  );
  const { posted, rejected } = await postAll(fleetEvents(fleet, fromHour, toHour), tokens);
  const postSeconds = (Date.now() - started) / 1000;
  console.log(
    `posted ${posted.toLocaleString('en-US')} events in ${postSeconds.toFixed(1)} s (${Math.round(posted / postSeconds).toLocaleString('en-US')} events/s), ${rejected} rejected`,
  );

  const window = `from=${new Date(fromHour).toISOString()}&to=${new Date(toHour).toISOString()}&granularity=month&group_by=region`;
  const usageOf = async (org: string) =>
    (await call(`${url.api}/v1/orgs/${org}/usage?${window}`, op)).json.rows as {
      region: string;
      sku: string;
      quantity: string;
      events: number;
    }[];
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const counted = (await Promise.all(ORGS.map(([o]) => usageOf(o)))).flat().reduce((s, r) => s + r.events, 0);
    if (counted >= posted) break;
    if (Date.now() > deadline)
      throw new Error(`the aggregator folded ${counted} of ${posted} events in 15 minutes; see the services log`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`folded into the projections ${((Date.now() - started) / 1000).toFixed(1)} s after the first post\n`);

  for (const [org, name] of ORGS) {
    const rows = await usageOf(org);
    const continents = new Set(rows.map((r) => continentOf(r.region)?.code ?? '?'));
    const ms = fleet.filter((m) => m.org === org).length;
    console.log(
      `${name} (${org}): ${ms.toLocaleString('en-US')} machines in ${new Set(rows.map((r) => r.region)).size} regions on ${[...continents].sort().join(', ')}; ${rows.reduce((s, r) => s + r.events, 0).toLocaleString('en-US')} events`,
    );
  }

  // The last full month: the part of it inside the replayed window is what it bills.
  const period = new Date(Date.UTC(new Date(toHour).getUTCFullYear(), new Date(toHour).getUTCMonth() - 1, 1))
    .toISOString()
    .slice(0, 7);
  const close = await call(`${url.invoicing}/v1/billing/periods/${period}/close`, op, {});
  if (close.status !== 200) throw new Error(`closing ${period}: ${close.status} ${JSON.stringify(close.json)}`);
  const invoices = close.json.invoices as { number: string; org: string; total: string }[];
  const total = sumDec(invoices.map((i) => Dec.of(i.total)));
  console.log(
    `\nclosed ${period}: ${invoices.length} invoices (${close.json.created} new), together ${formatUsd(total)}`,
  );
  for (const i of invoices) console.log(`  ${i.number}  ${i.org.padEnd(12)} ${formatUsd(i.total).padStart(15)}`);

  // A billing member of the largest organization, to sign in to the dashboard with.
  const [org] = ORGS[0];
  await call(`${url.api}/v1/orgs/${org}/members`, op, { email: `demo@${org}.example`, role: 'billing' });
  const member = await call(`${url.api}/v1/orgs/${org}/tokens`, op, { email: `demo@${org}.example`, name: 'demo' });
  console.log(`\ndashboard: ${url.api}/   (sign in as demo@${org}.example with ${member.json.token})`);
  console.log(
    `invoice:   ${url.api}/v1/orgs/${org}/invoices/${invoices.find((i) => i.org === org)?.number ?? ''}?format=html (same token, as Authorization: Bearer)`,
  );
  console.log(`API docs:  ${url.api}/docs`);

  if (child && process.stdout.isTTY && !process.argv.includes('--exit')) {
    console.log('\nservices keep running; Ctrl-C stops them');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
