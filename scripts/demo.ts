/**
 * `npm run demo`: the pipeline doing its job on a simulated fleet. Starts the four services
 * (unless they already run), creates organizations and one platform host per region, replays
 * the last 30 days of the contract's simulated fleet (10,000 machines; `--machines 2000` for a
 * smaller one) through the collector, waits until the aggregator has folded everything, closes
 * the last full month and prints the invoices, then the dashboard's address with a token to sign
 * in with. Before the close it gives three organizations commercial terms (a tiered GPU contract
 * price with a free allowance, a monthly minimum, a credit), so the invoices show those lines too.
 * Each phase prints its time (and its rate in events/s where it moves events).
 *
 *   npm run demo -- [--machines 10000] [--orgs 32] [--days 30] [--batch 5000] [--in-flight 12] [--name NAME] [--exit]
 *
 * `--name NAME` runs it on a database, topics and ports of its own (scripts/demo-isolation.ts).
 */
import { spawn, ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { continentOf } from '@metering/catalog';
import { simulateFleet } from '@metering/fleet';
import { loadConfig, MeteringConfig } from '@metering/service';
import { Dec, formatUsd, Period, periodBounds, periodOf, sumDec } from '@metering/domain';
import type { Machine } from '@metering/fleet';
import { isolate } from './demo-isolation';
import { NAMED, organizations, replayFleet } from './demo-load';

const HOUR = 3_600_000;
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive whole number`);
  return v;
}

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// Set in main, once `--name` has chosen the environment the configuration is read from.
let config: MeteringConfig;
let url: Record<'collector' | 'aggregator' | 'invoicing' | 'api', string>;
let op: string;

function configure(): void {
  config = loadConfig();
  url = {
    collector: `http://127.0.0.1:${config.ports.collector}`,
    aggregator: `http://127.0.0.1:${config.ports.aggregator}`,
    invoicing: `http://127.0.0.1:${config.ports.invoicing}`,
    api: `http://127.0.0.1:${config.ports.api}`,
  };
  op = config.operatorToken;
}

/** Prints a phase's time, and its rate when it moved `events`. */
function phase(name: string, startedMs: number, events?: number): void {
  const s = (performance.now() - startedMs) / 1000;
  const rate = events === undefined ? '' : `, ${Math.round(events / s).toLocaleString('en-US')} events/s`;
  console.log(`[phase] ${name.padEnd(10)} ${s.toFixed(1).padStart(6)} s${rate}`);
}

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

/** An invoice line as the services answer it (CONTRACT.md, "Invoices"). */
interface Line {
  kind: 'usage' | 'adjustment' | 'minimum' | 'credit';
  sku: string | null;
  usage_period: string;
  quantity: string | null;
  unit: string | null;
  unit_price: string | null;
  amount: string;
  description: string;
}

async function must(what: string, res: Promise<{ status: number; json: any }>, ok = [200, 201]): Promise<any> {
  const r = await res;
  if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** A change of terms that may already be in place from an earlier run (409: duplicate or closed month). */
async function termsChange(what: string, u: string, body: unknown): Promise<boolean> {
  const res = await call(u, op, body);
  if (res.status === 201) return true;
  if (res.status !== 409) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.json)}`);
  console.log(`  ${what}: not changed (${res.json?.reason ?? res.json?.message ?? 'conflict'})`);
  return false;
}

/** The GPU org of the demo: the one with the most GPU running time in the fleet, and its most used GPU. */
function gpuContractFor(fleet: readonly Machine[]): { org: string; sku: string } | null {
  const seconds = new Map<string, number>();
  for (const m of fleet) {
    if (!m.gpu) continue;
    const k = `${m.org} gpu.runtime/${m.gpu}`;
    seconds.set(k, (seconds.get(k) ?? 0) + m.duty);
  }
  const byOrg = new Map<string, number>();
  for (const [k, s] of seconds) byOrg.set(k.split(' ')[0]!, (byOrg.get(k.split(' ')[0]!) ?? 0) + s);
  const org = [...byOrg].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  if (org === undefined) return null;
  const [k] = [...seconds].filter(([key]) => key.startsWith(`${org} `)).sort((a, b) => b[1] - a[1])[0]!;
  return { org, sku: k.split(' ')[1]! };
}

/**
 * The demo's commercial terms, posted to the invoicing service before `period` is closed (an
 * entry may start at any hour of a month not yet closed, here its first): `gpu.org` gets a
 * graduated contract price for the GPU it uses most (the first 24 hours free, then 80% of the
 * list price), `credit` a credit grant; the minimum comes after the replay (see setMinimum).
 */
async function setTerms(period: Period, gpu: { org: string; sku: string } | null, creditOrg: string): Promise<void> {
  const from = new Date(periodBounds(period).from).toISOString().replace('.000Z', 'Z');
  console.log(`commercial terms for ${period}:`);
  if (gpu) {
    const book = (await must('GET /v1/billing/prices', call(`${url.invoicing}/v1/billing/prices`, op))) as {
      sku: string;
      org: string | null;
      unit_price: string | null;
      effective_from: string;
    }[];
    const list = book
      .filter(
        (e) =>
          e.sku === gpu.sku &&
          e.org === null &&
          e.unit_price !== null &&
          Date.parse(e.effective_from) <= Date.parse(from),
      )
      .sort((a, b) => Date.parse(b.effective_from) - Date.parse(a.effective_from))[0];
    if (!list?.unit_price) throw new Error(`no list price for ${gpu.sku} at ${from}`);
    const negotiated = Dec.of(list.unit_price).mul(Dec.of('0.8')).toString();
    const tiers = [
      { up_to: '86400', unit_price: '0' },
      { up_to: null, unit_price: negotiated },
    ];
    if (
      await termsChange(`contract price of ${gpu.sku} for ${gpu.org}`, `${url.invoicing}/v1/billing/prices`, {
        sku: gpu.sku,
        org: gpu.org,
        effective_from: from,
        tiers,
        tier_mode: 'graduated',
      })
    )
      console.log(
        `  ${gpu.org}: ${gpu.sku} from ${from}, graduated: the first 86,400 s (24 h) of each month free, then ${negotiated}/s (list ${list.unit_price})`,
      );
  } else console.log('  no machine of this fleet has a GPU: no GPU contract price');
  const reason = `service credit for ${period}`;
  const grants = (await must(
    `GET credits of ${creditOrg}`,
    call(`${url.invoicing}/v1/billing/orgs/${creditOrg}/credits`, op),
  )) as { reason: string }[];
  if (grants.some((g) => g.reason === reason)) console.log(`  ${creditOrg}: credit already granted`);
  else if (
    await termsChange(`credit for ${creditOrg}`, `${url.invoicing}/v1/billing/orgs/${creditOrg}/credits`, {
      amount: '250.00',
      reason,
    })
  )
    console.log(`  ${creditOrg}: a credit of $250.00 (${reason})`);
}

/**
 * A monthly minimum for `org` from `period`, above what its usage of the month costs: read from
 * the preview once the usage is folded, before the close: half as much again, rounded up to
 * whole hundreds (at least $100).
 */
async function setMinimum(period: string, org: string): Promise<void> {
  const preview = (await must(
    `preview of ${org}`,
    call(`${url.invoicing}/v1/billing/preview?org=${org}&period=${period}`, op),
  )) as { lines: Line[] } | null;
  const usage = sumDec((preview?.lines ?? []).filter((l) => l.kind === 'usage').map((l) => Dec.of(l.amount)));
  const minimum = Math.max(100, Math.ceil((Number(usage.toFixed(2)) * 1.5) / 100) * 100).toFixed(2);
  if (
    await termsChange(`minimum for ${org}`, `${url.invoicing}/v1/billing/orgs/${org}/commitments`, {
      monthly_minimum: minimum,
      from: period,
    })
  )
    console.log(`  ${org}: a monthly minimum of ${formatUsd(minimum)} from ${period} (its usage: ${formatUsd(usage)})`);
}

/** The lines of an invoice that the terms made: the tiers of `tieredSku` (one line per tier reached), minimum, credit. */
function termsLines(lines: readonly Line[], tieredSku: string | undefined): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const amount = formatUsd(l.amount).padStart(14);
    if (l.kind === 'usage' && l.sku !== null && l.sku === tieredSku)
      out.push(
        `      tier      ${l.sku} ${Number(l.quantity).toLocaleString('en-US').padStart(13)} ${l.unit}s at ${l.unit_price!.padEnd(10)} ${amount}`,
      );
    else if (l.kind === 'minimum' || l.kind === 'credit')
      out.push(`      ${l.kind.padEnd(9)} ${l.description.padEnd(52)} ${amount}`);
  }
  return out;
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

async function main(): Promise<void> {
  const t0 = performance.now();
  const machines = arg('machines', 10_000);
  const days = arg('days', 30);
  const batch = arg('batch', 5_000);
  const inFlight = arg('in-flight', 12);
  const { orgs: ORGS, weights } = organizations(arg('orgs', 32));
  const named = new Set<string>(NAMED.map(([o]) => o));
  if (days > 34) throw new Error('--days: at most 34 (the collector refuses events over 35 days old)');
  if (batch > 10_000) throw new Error('--batch: at most 10,000 (the collector refuses larger requests)');
  const name = stringArg('name');
  if (name !== undefined) await isolate(name);
  configure();
  const home = process.env['METERING_HOME'] ?? join(homedir(), '.cache', 'usage-metering');
  mkdirSync(join(home, 'logs'), { recursive: true });
  const child = await startServices(join(home, 'logs', name ? `services-${name}.log` : 'services.log'));
  servicesStarted = child;
  phase('services', t0);
  const tSetup = performance.now();

  for (const [slug, name] of ORGS) {
    const res = await call(`${url.api}/v1/orgs`, op, { slug, name });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`POST /v1/orgs: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const fleet = simulateFleet({ machines, orgs: ORGS.map(([s]) => s), orgWeights: weights });
  const tokens = new Map<string, string>();
  for (const region of new Set(fleet.map((m) => m.region))) {
    const res = await call(`${url.api}/v1/hosts`, op, { name: `${region}-01` });
    tokens.set(`host/${region}-01`, res.json.token);
  }

  const toHour = Math.floor(Date.now() / HOUR) * HOUR;
  const fromHour = toHour - days * 24 * HOUR;
  // The last full month: the part of it inside the replayed window is what it bills.
  const period = periodOf(periodBounds(periodOf(toHour)).from - 1);
  // Terms for three organizations with machines: the GPU contract, a minimum for the smallest, a credit.
  const gpu = gpuContractFor(fleet);
  const withMachines = ORGS.map(([o]) => o).filter(
    (o) => named.has(o) && o !== gpu?.org && fleet.some((m) => m.org === o),
  );
  const minimumOrg = withMachines.at(-1)!;
  const creditOrg = withMachines.find((o) => o !== minimumOrg) ?? minimumOrg;
  await setTerms(period, gpu, creditOrg);
  phase('setup', tSetup);
  const started = performance.now();
  console.log(
    `replaying ${machines.toLocaleString('en-US')} machines x ${days} days (${new Date(fromHour).toISOString()} .. ${new Date(toHour).toISOString()}) through the collector: ${tokens.size} hosts, requests of ${batch.toLocaleString('en-US')} events, ${inFlight} at a time`,
  );
  const { posted, rejected, requests } = await replayFleet({
    collector: url.collector,
    fleet,
    fromHour,
    toHour,
    tokens,
    batch,
    inFlight,
    progress: (n, s) =>
      console.log(
        `  ${n.toLocaleString('en-US')} events accepted in ${s.toFixed(0)} s (${Math.round(n / s).toLocaleString('en-US')} events/s)`,
      ),
  });
  console.log(
    `posted ${posted.toLocaleString('en-US')} events in ${requests.toLocaleString('en-US')} requests, ${rejected} rejected`,
  );
  phase('ingest', started, posted);
  const tFold = performance.now();

  const window = `from=${new Date(fromHour).toISOString()}&to=${new Date(toHour).toISOString()}&granularity=month&group_by=region`;
  type UsageRow = { region: string; sku: string; quantity: string; events: number };
  // A busy API may answer 503 (its pool waited too long): asked again, never read as "no rows".
  const usageOf = async (org: string): Promise<UsageRow[]> => {
    for (let attempt = 1; ; attempt++) {
      const res = await call(`${url.api}/v1/orgs/${org}/usage?${window}`, op);
      if (res.status === 200) return res.json.rows as UsageRow[];
      if (attempt >= 10) throw new Error(`GET usage of ${org}: ${res.status} ${JSON.stringify(res.json)}`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  };
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    // One organization at a time: 32 month-long reads at once would take the API's whole pool while the fold runs.
    let counted = 0;
    for (const [o] of ORGS) counted += (await usageOf(o)).reduce((s, r) => s + r.events, 0);
    if (counted >= posted) break;
    if (Date.now() > deadline)
      throw new Error(`the aggregator folded ${counted} of ${posted} events in 30 minutes; see the services log`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  phase('fold', tFold);
  phase('ingest+fold', started, posted);
  console.log('');

  for (const [org, name] of ORGS.filter(([o]) => named.has(o))) {
    const rows = await usageOf(org);
    const continents = new Set(rows.map((r) => continentOf(r.region)?.code ?? '?'));
    const ms = fleet.filter((m) => m.org === org).length;
    console.log(
      `${name} (${org}): ${ms.toLocaleString('en-US')} machines in ${new Set(rows.map((r) => r.region)).size} regions on ${[...continents].sort().join(', ')}; ${rows.reduce((s, r) => s + r.events, 0).toLocaleString('en-US')} events`,
    );
  }

  const tail = ORGS.filter(([o]) => !named.has(o)).map(([o]) => o);
  if (tail.length > 0)
    console.log(
      `and ${tail.length} smaller customers (customer-01 ..): ${fleet.filter((m) => !named.has(m.org)).length.toLocaleString('en-US')} machines`,
    );

  await setMinimum(period, minimumOrg);
  const tClose = performance.now();
  const close = await call(`${url.invoicing}/v1/billing/periods/${period}/close`, op, {});
  if (close.status !== 200) throw new Error(`closing ${period}: ${close.status} ${JSON.stringify(close.json)}`);
  const invoices = close.json.invoices as { number: string; org: string; total: string }[];
  const total = sumDec(invoices.map((i) => Dec.of(i.total)));
  phase('close', tClose);
  console.log(
    `\nclosed ${period}: ${invoices.length} invoices (${close.json.created} new), together ${formatUsd(total)}`,
  );
  const others = invoices.filter((i) => !named.has(i.org));
  for (const i of invoices) {
    if (!named.has(i.org)) continue;
    console.log(`  ${i.number}  ${i.org.padEnd(12)} ${formatUsd(i.total).padStart(15)}`);
    if (i.org !== gpu?.org && i.org !== minimumOrg && i.org !== creditOrg) continue;
    const full = await must(`GET invoice ${i.number}`, call(`${url.invoicing}/v1/billing/invoices/${i.number}`, op));
    for (const line of termsLines(full.lines as Line[], i.org === gpu?.org ? gpu.sku : undefined)) console.log(line);
  }

  if (others.length > 0)
    console.log(
      `  and ${others.length} invoices of the smaller customers, together ${formatUsd(sumDec(others.map((i) => Dec.of(i.total))))}`,
    );

  // A billing member of the largest organization, to sign in to the dashboard with.
  const [org] = ORGS[0];
  await call(`${url.api}/v1/orgs/${org}/members`, op, { email: `demo@${org}.example`, role: 'billing' });
  const member = await call(`${url.api}/v1/orgs/${org}/tokens`, op, { email: `demo@${org}.example`, name: 'demo' });
  console.log(`\ndashboard: ${url.api}/   (sign in as demo@${org}.example with ${member.json.token})`);
  const tiered = gpu && invoices.find((i) => i.org === gpu.org);
  const own = invoices.find((i) => i.org === org);
  console.log(
    `invoice:   ${url.api}/v1/orgs/${org}/invoices/${own?.number ?? ''}?format=html (same token, as Authorization: Bearer${tiered === own && gpu ? `; its ${gpu.sku} at the tiered contract price` : ''})`,
  );
  if (tiered && gpu && tiered !== own) {
    // The tiered invoice is another organization's: a billing member of that one to read it with.
    await call(`${url.api}/v1/orgs/${gpu.org}/members`, op, { email: `demo@${gpu.org}.example`, role: 'billing' });
    const token = (
      await call(`${url.api}/v1/orgs/${gpu.org}/tokens`, op, { email: `demo@${gpu.org}.example`, name: 'demo' })
    ).json.token as string;
    console.log(
      `tiered:    ${url.api}/v1/orgs/${gpu.org}/invoices/${tiered.number}?format=html (its ${gpu.sku} at the contract price; Authorization: Bearer ${token})`,
    );
  }
  console.log(`API docs:  ${url.api}/docs`);
  phase('total', t0, posted);

  if (child && process.stdout.isTTY && !process.argv.includes('--exit')) {
    console.log('\nservices keep running; Ctrl-C stops them');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

// The services this run started, stopped when it fails (they would outlive it otherwise).
let servicesStarted: ChildProcess | null = null;

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  if (servicesStarted && servicesStarted.exitCode === null) {
    servicesStarted.once('exit', () => process.exit(1));
    servicesStarted.kill('SIGTERM');
  } else process.exit(1);
});
