import { ChildProcess, spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { asServiceRole } from '@metering/db';
import { Browser, launchChromium } from '../scripts/chromium';
import { Client } from 'pg';
import { dropDatabase, freshDatabase } from './database';
import type { Benchmark, Figure } from './harness';
import { percentile } from './harness';
import { cpuSeconds } from './ingest-load';
import { LiveFolds } from './live-folds';
import {
  addOpenMonth,
  APPS,
  buildReadFleet,
  CONTRACT_TIERS,
  CREDIT_GRANT,
  MACHINES,
  READ_ORG,
  simulateFold,
  VOLUMES,
} from './read-fleet';
import { benchCall } from './services';

const root = join(__dirname, '..', '..');
const DB = 'metering_bench_read';
const PORT = 14041; // apart from the ports bench/services.ts gives the other benchmarks
const OPERATOR = 'bench-read-operator-token-0123456789';
const CLIENTS = 16;
/** How long the clients keep asking in each costs phase: enough samples for a steady p99. */
const PHASE_SECONDS = 10;
/** The organization's hosts while the current month is read: events/s folded throughout. */
const LIVE_RATE = 10_000;
const api = `http://127.0.0.1:${PORT}`;

/** The calendar month (UTC) under way: what "This month" on the dashboard shows. */
function thisMonth(now = new Date()): { from: Date; to: Date } {
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 202-to-visible as the read side adds to it: after a live fold commits, one client polls the
 * usage of that hour every 10 ms until it counts what the fold brought; the time from the
 * commit to that answer, in ms, once per probe for `seconds`.
 */
async function foldToVisible(folds: LiveFolds, token: string, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const c = folds.commits.at(-1);
    if (!c) {
      await sleep(20);
      continue;
    }
    const hour = `from=${new Date(c.hour).toISOString()}&to=${new Date(c.hour + 3_600_000).toISOString()}`;
    const url = `${api}/v1/orgs/${READ_ORG}/usage?${hour}&granularity=hour`;
    const counted = async () =>
      ((await benchCall(url, token)) as { rows: { events: number }[] }).rows.reduce((n, r) => n + r.events, 0);
    while ((await counted()) < c.eventsOfHour) await sleep(10);
    out.push(performance.now() - c.at);
    await sleep(50);
  }
  return out;
}

/** The last whole calendar month (UTC): what "Last month" on the dashboard shows. */
function lastMonth(now = new Date()): { from: Date; to: Date } {
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  };
}

// node:http, not fetch: fetch inflates every gzipped answer in this process, and with 16
// clients that work (not the server) would be most of what is measured on two cores.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One GET read to its last byte, as sent (gzip, not inflated); its status. A kept-alive
 * connection the server closed just as it was reused (its idle timeout) is retried once on a
 * new one, as HTTP clients do for a GET; the time lost stays in the latency.
 */
async function getRaw(url: string, token: string): Promise<number> {
  try {
    return await getOnce(url, token);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
    return getOnce(url, token);
  }
}

function getOnce(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/**
 * Each token is a client sending requests one after the other, `each` of them or, with
 * `seconds`, until that time is up; every latency in ms.
 */
async function hammer(url: string, tokens: string[], each: number, seconds = Infinity): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    tokens.map(async (token) => {
      for (let n = 0; n < each && performance.now() < deadline; n++) {
        const t = performance.now();
        const status = await getRaw(url, token);
        if (status !== 200) throw new Error(`${url}: ${status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

/**
 * One usage/current answer, read whole: the open month priced under the contract, so a machine
 * SKU billed in more than one tier (one at 0, the free allowance) and a credit line.
 */
async function checkCurrent(url: string, token: string): Promise<void> {
  const answer = (await benchCall(url, token)) as {
    lines: { kind: string; sku: string | null; unit_price: string | null }[];
  };
  const usage = answer.lines.filter((l) => l.kind === 'usage');
  const perSku = new Map<string, number>();
  for (const l of usage) perSku.set(l.sku ?? '', (perSku.get(l.sku ?? '') ?? 0) + 1);
  const tiered = [...perSku.values()].filter((n) => n > 1).length;
  const free = usage.filter((l) => l.unit_price !== null && Number(l.unit_price) === 0).length;
  const credit = answer.lines.filter((l) => l.kind === 'credit').length;
  if (tiered === 0 || free === 0 || credit !== 1)
    throw new Error(
      `usage/current did not price under the contract: ${tiered} SKUs in several tiers, ${free} free lines, ${credit} credit lines`,
    );
}

/** CPU seconds each Postgres backend connected to `db` has used so far (the API's pool), by pid. */
async function backendCpu(url: string, db: string): Promise<Map<number, number>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db],
    );
    return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)] as const).filter(([, s]) => Number.isFinite(s)));
  } finally {
    await c.end();
  }
}

async function ready(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await fetch(`${api}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`the API was not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Reading a big organization's month: the API under 16 concurrent clients, and the dashboard's
 * first render in headless Chromium, both on a month of projection rows built in SQL.
 */
export function readBenchmark(): Benchmark {
  const month = lastMonth();
  // Where the simulated folds land: a late event in the middle of the month.
  const lateHour = new Date(month.from.getTime() + 14 * 86_400_000 + 12 * 3_600_000);
  const range = `from=${month.from.toISOString()}&to=${month.to.toISOString()}`;
  const costsUrl = `${api}/v1/orgs/${READ_ORG}/costs?${range}&granularity=hour&group_by=region,sku`;
  const usageUrl = `${api}/v1/orgs/${READ_ORG}/usage?${range}&granularity=hour&group_by=region,sku`;
  const currentUrl = `${api}/v1/orgs/${READ_ORG}/usage/current`;
  // Cost allocation: the same month by region, SKU and the apps' team label (joined at read time).
  const labelUrl = `${costsUrl},label:team`;
  const open = thisMonth();
  const openRange = `from=${open.from.toISOString()}&to=${open.to.toISOString()}`;
  const openCostsUrl = `${api}/v1/orgs/${READ_ORG}/costs?${openRange}&granularity=hour&group_by=region,sku`;
  const openUsageUrl = `${api}/v1/orgs/${READ_ORG}/usage?${openRange}&granularity=hour&group_by=region,sku`;
  let url = '';
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let tokens: string[] = [];
  let built = { resourceRows: 0, hourlyRows: 0, seconds: 0 };
  let openHourlyRows = 0;

  const firstRender = async (period = 'last-month'): Promise<number> => {
    const page = await browser!.context.newPage();
    try {
      const session = JSON.stringify({
        token: tokens[0],
        org: READ_ORG,
        orgName: 'Fleet of 10,000',
        email: 'viewer-0@fleet.test',
        role: 'viewer',
      });
      await page.addInitScript(`sessionStorage.setItem('metering.session', ${JSON.stringify(session)})`);
      const t = performance.now();
      await page.goto(`${api}/#period=${period}`);
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
      const ms = performance.now() - t;
      if ((await page.getAttribute('body', 'data-state')) !== 'ready')
        throw new Error(`the dashboard showed an error: ${await page.textContent('#error-banner')}`);
      if ((await page.locator('#resources-body tr.resource').count()) !== 20)
        throw new Error('the dashboard did not list 20 resources');
      return ms;
    } finally {
      await page.close();
    }
  };

  return {
    name: 'read',
    title: `reading a month of an organization of ${MACHINES.toLocaleString('en-US')} machines`,
    get method() {
      return (
        `One organization's ${month.from.toISOString().slice(0, 7)} built in SQL as the aggregator would have written it: ${MACHINES.toLocaleString('en-US')} machines ` +
        `(4 sizes) and ${VOLUMES.toLocaleString('en-US')} volumes over 6 regions on 6 continents and 3 apps, every hour (a quarter of the machines off at night): ` +
        `${built.resourceRows.toLocaleString('en-US')} per-resource rows, ${built.hourlyRows.toLocaleString('en-US')} hourly rows (built in ${Math.round(built.seconds)} s). ` +
        `The API runs as its own process (built, as deployed). Each run: ${CLIENTS} clients (each its own member token, gzip accepted) ask for the month by region and SKU at hourly ` +
        `granularity (22,320 rows): costs for ${PHASE_SECONDS} s, each client asking again as soon as answered, then usage the same way (its first answer after the last run's fold timed on its own), ` +
        `then costs by region, SKU and label:team the same way (the 3 apps labelled with 2 teams; the first answer timed on its own); then costs again for ` +
        `${PHASE_SECONDS} s while a late event of that month is folded every second (a minute of one machine added to its per-resource, hourly, daily and monthly ` +
        'rows in one statement, as the aggregator does: every cached answer about the month is stale); one costs request just after such a fold (nothing ' +
        'cached); and the dashboard opened in headless Chromium on ' +
        '"Last month" with a stored token, timed from navigation to every panel drawn (chart, continents, regions, apps, top 20 resources), once with the answers ' +
        'cached (a second visit) and once just after such a fold (the top resources from the per-day rollup the fold keeps). ' +
        `Then usage/current (the open month so far, priced under the organization's terms) for ${PHASE_SECONDS} s by the ${CLIENTS} clients the same way: ` +
        `the open month holds the same hours of the month before, shifted by a month up to the current hour (${openHourlyRows.toLocaleString('en-US')} hourly rows and their monthly rollup; ` +
        "no per-resource rows), and the organization has a graduated contract price on each of its 4 machine SKUs from the month's first hour " +
        `(free up to ${Number(CONTRACT_TIERS.free).toLocaleString('en-US')} s, list price up to ${Number(CONTRACT_TIERS.list).toLocaleString('en-US')} s, ${Math.round((1 - CONTRACT_TIERS.discount) * 100)}% off above) ` +
        `and a credit grant of ${CREDIT_GRANT}, inserted as the owner; its answer is checked once for a line per tier reached and a credit line; ` +
        'the CPU per request is that of the API process and of the Postgres backends of its pool over the phase, from /proc. ' +
        'The dashboard asks for usage/current too, so its first render includes it. ' +
        `Then this month while its hosts post: ${LIVE_RATE.toLocaleString('en-US')} events/s of the current hour (its machines in turn) folded throughout through the ` +
        "aggregator's own transaction (ProjectionStore.applyBatch: seen keys, projections, daily rollups, offset; a batch every 100 ms), while the " +
        `${CLIENTS} clients ask for this month's costs, then usage, by region and SKU, hourly, ${PHASE_SECONDS} s each, then usage/current; then one client, after a fold commits, ` +
        'polls that hour\'s usage every 10 ms until it counts the fold (fold to visible); then the dashboard on "This month" 1 s after the last read (no answer held). ' +
        'The API serves answers at most READ_STALENESS_MS (default 500 ms) old. Latencies are to the last byte of the gzipped answer, not inflated.'
      );
    },
    goals: [
      {
        figure: 'costs p99',
        op: '<=',
        value: 50,
        text: `p99 of a month's costs by region and SKU, hourly, under ${CLIENTS} clients at most 50 ms`,
      },
      {
        figure: 'usage p99',
        op: '<=',
        value: 50,
        text: `p99 of a month's usage by region and SKU, hourly, under ${CLIENTS} clients at most 50 ms`,
      },
      { figure: 'first render', op: '<=', value: 1000, text: 'dashboard first render at most 1 s' },
      {
        figure: 'costs by label p99',
        op: '<=',
        value: 50,
        text: `p99 of a month's costs by region, SKU and label:team, hourly, under ${CLIENTS} clients at most 50 ms`,
      },
      {
        figure: 'usage/current p99',
        op: '<=',
        value: 50,
        text: `p99 of usage/current on tiered contract prices, under ${CLIENTS} clients at most 50 ms`,
      },
      {
        figure: 'this month costs p99 while folding',
        op: '<=',
        value: 50,
        text: `p99 of this month's costs by region and SKU, hourly, under ${CLIENTS} clients while ${LIVE_RATE.toLocaleString('en-US')} events/s fold, at most 50 ms`,
      },
      {
        figure: 'this month usage p99 while folding',
        op: '<=',
        value: 50,
        text: `p99 of this month's usage by region and SKU, hourly, under ${CLIENTS} clients while ${LIVE_RATE.toLocaleString('en-US')} events/s fold, at most 50 ms`,
      },
      {
        figure: 'usage/current p99 while folding',
        op: '<=',
        value: 50,
        text: `p99 of usage/current on tiered contract prices under ${CLIENTS} clients while events fold, at most 50 ms`,
      },
      {
        figure: 'first render this month while folding',
        op: '<=',
        value: 1000,
        text: 'dashboard first render of this month right after a fold at most 1 s',
      },
      { figure: 'fold to visible p99', op: '<=', value: 1000, text: 'a fold visible in usage within 1 s (p99)' },
    ],
    async setup() {
      url = await freshDatabase(DB);
      built = await buildReadFleet(url, month.from, month.to);
      console.log(
        `read: built ${built.resourceRows} per-resource and ${built.hourlyRows} hourly rows in ${built.seconds.toFixed(0)} s`,
      );
      openHourlyRows = await addOpenMonth(url, month.from, month.to, new Date());
      // e.g. BENCH_READ_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' to see where a read's time goes.
      const nodeArgs = (process.env['BENCH_READ_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
      server = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'apps', 'api', 'src', 'main.js')], {
        env: {
          ...process.env,
          DATABASE_URL: asServiceRole(url),
          DATABASE_OWNER_URL: url,
          API_PORT: String(PORT),
          METERING_OPERATOR_TOKEN: OPERATOR,
          LOG_LEVEL: 'warn',
          RATE_LIMIT_READ: '1000000',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await ready(60_000);
      tokens = [];
      for (let i = 0; i < CLIENTS; i++) {
        const email = `viewer-${i}@fleet.test`;
        await benchCall(`${api}/v1/orgs/${READ_ORG}/members`, OPERATOR, { email, role: 'viewer' });
        tokens.push((await benchCall(`${api}/v1/orgs/${READ_ORG}/tokens`, OPERATOR, { email, name: 'bench' })).token);
      }
      await checkCurrent(currentUrl, tokens[0]!);
      for (const [i, app] of APPS.entries()) {
        const res = await fetch(`${api}/v1/orgs/${READ_ORG}/apps/${app}/labels`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
          body: JSON.stringify({ team: `team-${i % 2}` }),
        });
        if (res.status !== 200) throw new Error(`labelling ${app}: ${res.status} ${await res.text()}`);
      }
      browser = await launchChromium();
    },
    async run(): Promise<Figure[]> {
      // The previous run's last fold left this answer uncomputed: compute it once, so this
      // phase measures the steady state; the first answer after a fold is measured below.
      await hammer(costsUrl, tokens.slice(0, 1), 1);
      const costs = await hammer(costsUrl, tokens, Infinity, PHASE_SECONDS);
      // The same for usage: the first answer computed (timed on its own), then 16 clients.
      const usageFirst = (await hammer(usageUrl, tokens.slice(0, 1), 1))[0]!;
      const usage = await hammer(usageUrl, tokens, Infinity, PHASE_SECONDS);
      const labelFirst = (await hammer(labelUrl, tokens.slice(0, 1), 1))[0]!;
      const byLabel = await hammer(labelUrl, tokens, Infinity, PHASE_SECONDS);
      // What one answer costs the machine: the API process's CPU, and that of the Postgres
      // backends serving its pool (a backend that came up during the phase counts whole).
      const [apiBefore, pgBefore] = [cpuSeconds(server!.pid!), await backendCpu(url, DB)];
      const current = await hammer(currentUrl, tokens, Infinity, PHASE_SECONDS);
      const apiCpu = cpuSeconds(server!.pid!) - apiBefore;
      let pgCpu = 0;
      for (const [pid, seconds] of await backendCpu(url, DB)) pgCpu += seconds - (pgBefore.get(pid) ?? 0);
      const folding = setInterval(() => void simulateFold(url, lateHour), 1000);
      let whileFolding: number[];
      try {
        whileFolding = await hammer(costsUrl, tokens, Infinity, PHASE_SECONDS);
      } finally {
        clearInterval(folding);
      }
      await simulateFold(url, lateHour);
      const cold = (await hammer(costsUrl, tokens.slice(0, 1), 1))[0]!;
      await firstRender(); // brings every panel's answer into the cache at this version
      const cached = await firstRender();
      await simulateFold(url, lateHour);
      const afterFold = await firstRender();
      // This month while its hosts post: the aggregator's transactions folding LIVE_RATE events/s
      // of the current hour throughout; every answer about the month is stale ten times a second.
      const folds = await LiveFolds.start(url, LIVE_RATE);
      let live: {
        costs: number[];
        usage: number[];
        current: number[];
        visible: number[];
        render: number;
        rate: number;
      };
      try {
        await sleep(1000);
        const openCosts = await hammer(openCostsUrl, tokens, Infinity, PHASE_SECONDS);
        const openUsage = await hammer(openUsageUrl, tokens, Infinity, PHASE_SECONDS);
        const liveCurrent = await hammer(currentUrl, tokens, Infinity, PHASE_SECONDS);
        const visible = await foldToVisible(folds, tokens[0]!, PHASE_SECONDS);
        // Nothing held any more (every held answer is past the bound), a fold just committed.
        await sleep(1000);
        const render = await firstRender('this-month');
        live = { costs: openCosts, usage: openUsage, current: liveCurrent, visible, render, rate: 0 };
      } finally {
        const rate = await folds.stop();
        live = { ...live!, rate };
      }
      const ms = (name: string, value: number): Figure => ({ name, value, unit: 'ms', better: 'lower' });
      return [
        ms('costs p50', percentile(costs, 50)),
        ms('costs p99', percentile(costs, 99)),
        ms('costs p99 while folding', percentile(whileFolding, 99)),
        ms('costs, first after a fold', cold),
        ms('usage p50', percentile(usage, 50)),
        ms('usage p99', percentile(usage, 99)),
        ms('usage, first after a fold', usageFirst),
        ms('costs by label p99', percentile(byLabel, 99)),
        ms('costs by label, first after a fold', labelFirst),
        ms('first render', cached),
        ms('first render after a fold', afterFold),
        ms('this month costs p50 while folding', percentile(live.costs, 50)),
        ms('this month costs p99 while folding', percentile(live.costs, 99)),
        ms('this month usage p50 while folding', percentile(live.usage, 50)),
        ms('this month usage p99 while folding', percentile(live.usage, 99)),
        ms('usage/current p99 while folding', percentile(live.current, 99)),
        ms('first render this month while folding', live.render),
        ms('fold to visible p50', percentile(live.visible, 50)),
        ms('fold to visible p99', percentile(live.visible, 99)),
        { name: 'events folded while reading', value: live.rate, unit: 'events/s', better: 'higher' },
        ms('usage/current p50', percentile(current, 50)),
        ms('usage/current p99', percentile(current, 99)),
        { name: 'usage/current requests', value: current.length, unit: 'requests', better: 'higher' },
        {
          name: 'usage/current API CPU per request',
          value: (apiCpu / current.length) * 1000,
          unit: 'ms',
          better: 'lower',
        },
        {
          name: 'usage/current Postgres CPU per request',
          value: (pgCpu / current.length) * 1000,
          unit: 'ms',
          better: 'lower',
        },
      ];
    },
    async teardown() {
      await browser?.close();
      if (server && server.exitCode === null) {
        await new Promise<void>((resolve) => {
          server!.once('exit', () => resolve());
          server!.kill('SIGTERM');
        });
      }
      await dropDatabase(DB);
    },
  };
}
