import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { MeteringConfig } from '@metering/service';
import { Browser, launchChromium } from '../scripts/chromium';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, foldedToEnd, RunningServices, seedHost, startServices } from './support/services';
import { dollars, expectedCost, PostedEvent, smallFleet } from './support/small-fleet';

const SCREENSHOT = join(__dirname, '..', 'docs', 'dashboard.png');
const HOURS = 120;

/**
 * The customer dashboard in a real browser (Debian's Chromium, headless) over the real
 * services: a member signs in, and every figure on screen is checked against the API's own
 * answer to the same question, and the period total against a sum made here from the events.
 */
describe('the dashboard, in headless Chromium', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  let browser: Browser;
  let page: Page;
  let viewer: { id: string; token: string };
  let events: PostedEvent[];
  const costCalls: string[] = [];
  const op = TEST_OPERATOR_TOKEN;

  const costsUrl = (groupBy: string) => {
    const url = [...costCalls].reverse().find((u) => new URL(u).searchParams.get('group_by') === groupBy);
    if (!url) throw new Error(`the page asked for no costs grouped by ${groupBy}`);
    return url;
  };
  const apiAnswer = async (url: string) => {
    const res = await call(url, { token: viewer.token });
    expect(res.status).toBe(200);
    return res.body as { total: string; total_rows: number; rows: Record<string, string>[] };
  };
  const shown = async (view: string) => {
    await page.waitForSelector(`body[data-state="ready"][data-view="${view}"]`, { timeout: 30_000 });
  };
  const text = async (selector: string) => (await page.textContent(selector))?.trim();
  // Page code as text: it runs in the browser, and this project's types have no DOM.
  const inPage = <T>(js: string) => page.evaluate(js) as Promise<T>;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    [svc, browser] = await Promise.all([startServices(config), launchChromium()]);
    const host = await seedHost(svc.api, op, ['acme', 'globex']);
    expect(
      (await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'ann@acme.test', role: 'viewer' } }))
        .status,
    ).toBe(201);
    const tok = await call(`${svc.api}/v1/orgs/acme/tokens`, {
      token: op,
      body: { email: 'ann@acme.test', name: 'browser' },
    });
    expect(tok.status).toBe(201);
    viewer = { id: tok.body.id, token: tok.body.token };
    events = smallFleet('acme', HOURS);
    const others = smallFleet('globex', 3).map((e) => ({ ...e, id: `globex-${e.id}` }));
    for (const batch of [events.slice(0, 2000), events.slice(2000), others]) {
      const res = await call(`${svc.collector}/v1/events`, { token: host.token, body: batch });
      expect([res.status, res.body.rejected]).toEqual([202, []]);
    }
    // A new consumer group's first assignment can take a while on a busy machine.
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup, 120_000);
    page = await browser.context.newPage();
    page.on('request', (r) => {
      if (r.url().includes('/costs?')) costCalls.push(r.url());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('serves the page without a token, and asks for one', async () => {
    const res = await call(`${svc.api}/`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    await page.goto(`${svc.api}/`);
    await page.waitForSelector('body[data-state="signed-out"] #sign-in-form');
  });

  it('signs a member in and draws the month, with the month so far and its forecast as the API says', async () => {
    const currentUsage = async () =>
      (await call(`${svc.api}/v1/orgs/acme/usage/current`, { token: viewer.token })).body;
    // The forecast scales the month so far by the time elapsed, so it shrinks as the clock runs:
    // the page's, asked for in between, lies between the API's just before and just after.
    const before = await currentUsage();
    await page.fill('#token', viewer.token);
    await page.click('#sign-in-form button[type=submit]');
    await shown('#period=this-month');
    expect(await text('#org-name')).toBe('acme');
    const after = await currentUsage();
    expect(await text('#kpi-mtd')).toBe(dollars(after.total));
    const cents = (s: string) => Math.round(Number(s.replace(/[$,]/g, '')) * 100);
    const shownForecast = cents((await text('#kpi-forecast')) ?? 'missing');
    expect(shownForecast).toBeGreaterThanOrEqual(cents(dollars(after.forecast)));
    expect(shownForecast).toBeLessThanOrEqual(cents(dollars(before.forecast)));
    expect(await inPage<string | null>(`sessionStorage.getItem('metering.session')`)).toContain(viewer.token);
  });

  it('shows the last 7 days: total, chart, a region and the top resource equal to the API, the total to the events', async () => {
    await page.click('[data-period="last-7-days"]');
    await shown('#period=last-7-days');
    const series = await apiAnswer(costsUrl('sku'));
    const prices = new Map<string, string>(
      (await call(`${svc.api}/v1/prices`, { token: viewer.token })).body.map(
        (p: { sku: string; unit_price: string }) => [p.sku, p.unit_price],
      ),
    );
    expect(series.total).toBe(expectedCost(events, prices));
    expect(await text('#kpi-period')).toBe(dollars(series.total));

    // Read in the page: what Chart.js holds and how many pixels of the canvas are painted.
    const chart = await inPage<{ labels: string[]; bars: number; painted: number }>(`(() => {
      const canvas = document.getElementById('chart-sku');
      const c = Chart.getChart(canvas);
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
      return { labels: c.data.datasets.map((d) => d.label).sort(), bars: c.data.datasets[0].data.length, painted };
    })()`);
    expect(chart.labels).toEqual([...new Set(series.rows.map((r) => r['sku']!))].sort());
    expect(chart.bars).toBeGreaterThanOrEqual(7 * 24 - 1);
    expect(chart.painted).toBeGreaterThan(10_000);
    expect(await inPage<string | undefined>(`document.getElementById('chart-continent').dataset.drawn`)).toBeTruthy();

    const regions = await apiAnswer(costsUrl('region'));
    const fra = regions.rows.find((r) => r['region'] === 'fra')!;
    expect(await text('[data-region="fra"] .amount')).toBe(dollars(fra['amount']!));
    expect(fra['amount']).toBe(expectedCost(events, prices, (e) => e.data.region === 'fra'));

    const resources = await apiAnswer(costsUrl('resource'));
    expect(resources.rows).toHaveLength(15);
    expect(await page.getAttribute('#resources-body tr:first-child', 'data-resource')).toBe(
      resources.rows[0]!['resource'],
    );
    expect(await text('#resources-body tr:first-child .amount')).toBe(dollars(resources.rows[0]!['amount']!));
    // Whole past days of resources come from the daily rollup: checked against the events too.
    const top = resources.rows[0]!['resource']!;
    expect(resources.rows[0]!['amount']).toBe(expectedCost(events, prices, (e) => e.data.resource === top));
    expect(resources.total).toBe(series.total);
    expect(await page.locator('#resources-body tr').count()).toBe(15);
    expect(await text('#kpi-resources')).toBe('15');
    expect(await page.locator('text=globex').count()).toBe(0);
  });

  it('narrows every panel to a clicked region, to the API figures for that region, and a chip removes it', async () => {
    const before = await text('#kpi-period');
    await page.click('[data-region="fra"]');
    await shown('#period=last-7-days&region=fra');
    expect(await text('.chip')).toContain('Region: fra');
    const series = await apiAnswer(costsUrl('sku'));
    expect(new URL(costsUrl('sku')).searchParams.getAll('region')).toEqual(['fra']);
    expect(await text('#kpi-period')).toBe(dollars(series.total));
    expect(await text('#kpi-period')).not.toBe(before);
    const apps = await apiAnswer(costsUrl('app'));
    for (const row of apps.rows) expect(await text(`[data-app="${row['app']}"] .amount`)).toBe(dollars(row['amount']!));
    const resources = await apiAnswer(costsUrl('resource'));
    expect(resources.rows.length).toBeLessThan(15);
    expect(await page.getAttribute('#resources-body tr:first-child', 'data-resource')).toBe(
      resources.rows[0]!['resource'],
    );
    expect(await page.getAttribute('[data-region="fra"]', 'class')).toContain('picked');

    await page.click('.chip[data-dim="region"]');
    await shown('#period=last-7-days');
    expect(await text('#kpi-period')).toBe(before);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('downloads as CSV what the chart shows, as the API writes it', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const url = new URL(costsUrl('sku'));
    url.searchParams.set('format', 'csv');
    const api = await call(url.toString(), { token: viewer.token });
    expect(csv).toBe(api.body);
    expect(csv.split('\n')[0]).toBe('start,end,sku,unit,quantity,amount');
    expect(download.suggestedFilename()).toMatch(/^acme-costs-series-.*\.csv$/);
  });

  it('shows cost by team, from the apps’ team labels, as the API answers it', async () => {
    const apps = (await call(`${svc.api}/v1/orgs/acme/apps`, { token: viewer.token })).body as { app: string }[];
    expect(apps.length).toBeGreaterThan(1);
    const [first, ...rest] = apps.map((a) => a.app);
    for (const [app, team] of [
      [first, 'payments'],
      [rest[0], 'search'],
    ])
      expect(
        (await call(`${svc.api}/v1/orgs/acme/apps/${app}/labels`, { method: 'PUT', token: op, body: { team } })).status,
      ).toBe(200);
    await page.reload();
    await shown('#period=last-7-days');
    const teams = await apiAnswer(costsUrl('label:team'));
    expect(teams.rows.map((r) => r['label:team']).sort()).toEqual(
      rest.length > 1 ? ['', 'payments', 'search'] : ['payments', 'search'],
    );
    for (const row of teams.rows)
      expect(await text(`[data-team="${row['label:team']}"] .amount`)).toBe(dollars(row['amount']!));
  });

  it('goes back to sign-in, saying why, when the token is revoked', async () => {
    expect((await call(`${svc.api}/v1/orgs/acme/tokens/${viewer.id}`, { method: 'DELETE', token: op })).status).toBe(
      204,
    );
    await page.click('[data-period="last-month"]');
    await page.waitForSelector('body[data-state="signed-out"] #sign-in-error:not([hidden])');
    expect(await text('#sign-in-error')).toMatch(/no longer valid/);
    expect(await inPage<string | null>(`sessionStorage.getItem('metering.session')`)).toBeNull();
  });

  it('lets the operator in with an organization named, and not without one', async () => {
    const other = await browser.context.newPage();
    try {
      await other.goto(`${svc.api}/`);
      await other.fill('#token', op);
      await other.click('#sign-in-form button[type=submit]');
      await other.waitForSelector('#sign-in-error:not([hidden])');
      expect(await other.textContent('#sign-in-error')).toMatch(/enter the one to show/);
      await other.fill('#token', op);
      await other.fill('#org-slug', 'globex');
      await other.click('#sign-in-form button[type=submit]');
      await other.waitForSelector('body[data-state="ready"]');
      expect(await other.textContent('#org-name')).toBe('globex');
      expect(await other.locator('#resources-body tr').count()).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it("says what the month to date holds besides usage: the organization's monthly minimum and the credit it draws on", async () => {
    const month = new Date().toISOString().slice(0, 7);
    await db.pool.query(`INSERT INTO commitments (org, from_period, monthly_minimum) VALUES ('globex', $1, 500.00)`, [
      `${month}-01`,
    ]);
    await db.pool.query(`INSERT INTO credit_grants (org, amount, reason) VALUES ('globex', 1.00, 'outage')`);
    const current = (await call(`${svc.api}/v1/orgs/globex/usage/current`, { token: op })).body;
    expect(current.lines.map((l: { kind: string }) => l.kind).slice(-2)).toEqual(['minimum', 'credit']);
    expect(current.total).toBe('499.00');
    const other = await browser.context.newPage();
    try {
      await other.goto(`${svc.api}/`);
      await other.fill('#token', op);
      await other.fill('#org-slug', 'globex');
      await other.click('#sign-in-form button[type=submit]');
      await other.waitForSelector('body[data-state="ready"]');
      expect((await other.textContent('#kpi-mtd'))?.trim()).toBe(dollars(current.total));
      expect(await other.textContent('#kpi-mtd-sub')).toMatch(
        /incl\. \$[\d,.]+ monthly minimum · after \$1\.00 credit/,
      );
      expect(await other.textContent('#kpi-forecast-sub')).toMatch(/minimum and credits applied/);
    } finally {
      await other.close();
    }
  });
});
