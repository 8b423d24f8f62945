import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { MeteringConfig } from '@metering/service';
import { Browser, launchChromium } from '../scripts/chromium';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { machineId, seedMachines } from './support/machines';
import { call, seedHost, startOnly } from './support/services';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MACHINES = 10_000;
const DOCS = join(__dirname, '..', 'docs');
/** The search box's goal: typing to the answer on screen. */
const SEARCH_MS = 200;

/** How many of machines 0..MACHINES-1 satisfy `p` (the seed's layout is arithmetic in i). */
const machinesWhere = (p: (i: number) => boolean) => Array.from({ length: MACHINES }, (_, i) => i).filter(p).length;

/**
 * The dashboard's machines in headless Chromium over an organization of 10,000 machines: a
 * billing member finds one by typing part of its id, opens its page, and drills down
 * continent → region → app → resource with every panel narrowing; the organization's invoices
 * and credit balance are there too.
 */
describe('the dashboard at 10,000 machines, in headless Chromium', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let svc: { api: string; invoicing: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let token: string;
  const op = TEST_OPERATOR_TOKEN;
  const endHour = Math.floor(Date.now() / HOUR) * HOUR;
  const id = machineId(1244); // i % 12 = 8: gru (South America); app i % 5 = 4: ml; shared-cpu-1x and egress (i % 4 = 0)
  const shown = (view: string) =>
    page.waitForSelector(`body[data-state="ready"][data-view="${view}"]`, { timeout: 30_000 });
  /** The Machines panel draws after the overview, on its own. */
  const machinesCount = async () => {
    await page.waitForSelector('#machines[data-state="ready"]');
    return (await page.textContent('#machines-count'))?.trim();
  };

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    const config: MeteringConfig = testConfig(db.url, topics);
    [svc, browser] = await Promise.all([startOnly(config, ['api', 'invoicing']), launchChromium()]);
    await seedHost(svc.api, op, ['acme']);
    await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: 'bea@acme.test', role: 'billing' } });
    token = (await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: 'bea@acme.test' } })).body.token;
    // Last month, outside the last 7 days, a little usage to close into an invoice; then the fleet's last day.
    const now = new Date(endHour);
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    await seedMachines(db.pool, 'acme', { machines: 10, hours: 2, endHour: monthStart - 8 * DAY });
    const period = new Date(monthStart - 8 * DAY).toISOString().slice(0, 7);
    const close = await call(`${svc.invoicing}/v1/billing/periods/${period}/close`, { token: op, body: {} });
    expect([close.status, close.body.invoices?.length]).toEqual([200, 1]);
    const credit = await call(`${svc.invoicing}/v1/billing/orgs/acme/credits`, {
      token: op,
      body: { amount: '500.00', reason: 'welcome' },
    });
    expect(credit.status).toBe(201);
    await seedMachines(db.pool, 'acme', { machines: MACHINES, hours: 24, endHour });
    page = await browser.context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('signs a billing member in: every resource listed, its invoices and credit balance', async () => {
    await page.goto(`${svc.api}/#period=last-7-days`);
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
    await shown('#period=last-7-days');
    expect(await machinesCount()).toBe('10,000 resources, costliest first');
    expect(await page.locator('#machines-body tr').count()).toBe(50);
    await page.waitForSelector('#billing[data-state="ready"]');
    expect(await page.locator('#invoices-body tr[data-number]').count()).toBe(1);
    expect((await page.textContent('#credit-balance'))?.trim()).toBe('$500.00');
    // The printable invoice, fetched with the token (a plain link would carry none).
    const [printable] = await Promise.all([
      browser.context.waitForEvent('page'),
      page.click('#invoices-body tr[data-number] button'),
    ]);
    await printable.waitForLoadState();
    expect(await printable.textContent('body')).toContain('INV-000001');
    await printable.close();
    // A billing member's alerts have their card beside the billing panel.
    await page.waitForSelector('#alerts-panel:not([hidden]) #alerts-body');
    await page.click('#machines-more');
    await page.locator('#machines-body tr').nth(99).waitFor();
    expect(await page.locator('#machines-body tr').count()).toBe(100);
  });

  it(`finds a machine by part of its id in under ${SEARCH_MS} ms, and opens its page`, async () => {
    const part = id.slice(3, 7);
    const t0 = Date.now();
    await page.fill('#machine-search', part);
    await page.waitForSelector(`#machines[data-state="ready"][data-q="${part}"]`);
    const typedToShown = Date.now() - t0;
    const asked = Number(await page.getAttribute('#machines', 'data-ms'));
    // The box waits 80 ms for the typing to pause; the answer itself is what must be fast.
    expect(asked).toBeLessThan(SEARCH_MS);
    expect(typedToShown).toBeLessThan(SEARCH_MS + 300);
    const rows = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#machines-body tr')].map((tr) => tr.getAttribute('data-resource'))`,
    );
    expect(rows).toContain(id);
    for (const r of rows) expect(r).toContain(part);
    expect(await machinesCount()).toMatch(new RegExp(`^\\d+ matching “${part}”$`));
    await page.screenshot({ path: join(DOCS, 'dashboard-machines.png'), fullPage: true });

    await page.click(`#machines-body tr[data-resource="${id}"]`);
    await shown(`#period=last-7-days&machine=${id}`);
    expect((await page.textContent('#machine-id'))?.trim()).toBe(id);
    expect((await page.textContent('#machine-region'))?.trim()).toBe('gru');
    expect((await page.textContent('#machine-app'))?.trim()).toBe('ml');
    expect((await page.textContent('#machine-skus'))?.trim()).toBe('machine.runtime/shared-cpu-1x, network.egress/sa');
    expect(await page.locator('#machine-hours-body tr').count()).toBe(48);
    expect(await page.locator('#machine-sku-body tr').count()).toBe(2);
    expect(
      (await page.textContent('#machine-sku-body tr[data-sku="machine.runtime/shared-cpu-1x"]'))?.trim(),
    ).toContain('86,400 second');
    const api = await call(
      `${svc.api}/v1/orgs/acme/resources/${id}?from=${new Date(endHour + HOUR - 7 * DAY).toISOString()}&to=${new Date(endHour + HOUR).toISOString()}`,
      { token },
    );
    expect(await page.textContent('#machine-total')).toBe(`$${api.body.total}`);
    expect(await page.isVisible('#machines')).toBe(false);
    await page.screenshot({ path: join(DOCS, 'dashboard-machine.png'), fullPage: true });
    await page.click('#machine-back');
    await shown('#period=last-7-days');
  });

  it('drills down continent → region → app → resource, and the machines narrow at every step', async () => {
    await page.fill('#machine-search', '');
    await page.waitForSelector('#machines[data-state="ready"][data-q=""]');
    await page.click('[data-continent="EU"]');
    await shown('#period=last-7-days&continent=EU');
    // EU regions of the seed: fra, ams, lhr (i % 12 of 3, 4, 5).
    const eu = machinesWhere((i) => [3, 4, 5].includes(i % 12));
    expect(await machinesCount()).toBe(`${eu.toLocaleString('en-US')} resources, costliest first`);
    await page.click('[data-region="fra"]');
    await shown('#period=last-7-days&region=fra');
    const fra = machinesWhere((i) => i % 12 === 3);
    expect(await machinesCount()).toBe(`${fra} resources, costliest first`);
    await page.click('[data-app="db"]');
    await shown('#period=last-7-days&region=fra&app=db');
    const fraDb = machinesWhere((i) => i % 12 === 3 && i % 5 === 3);
    expect(await machinesCount()).toBe(`${fraDb} resources, costliest first`);
    for (const app of await page.locator('#machines-body tr td:nth-child(3)').allTextContents()) expect(app).toBe('db');
    const top = (await page.getAttribute('#resources-body tr:first-child', 'data-resource'))!;
    await page.click(`#resources-body tr[data-resource="${top}"]`);
    await shown(`#period=last-7-days&region=fra&app=db&resource=${top}`);
    // The resources panel keeps its choices, the picked one marked; the rest of the page is that resource's.
    const picked = `#resources-body tr[data-resource="${top}"]`;
    expect(await page.getAttribute(picked, 'class')).toContain('picked');
    expect(await page.textContent('#kpi-period')).toBe(await page.textContent(`${picked} .amount`));
    expect(await page.locator('.chip').count()).toBe(3);
    expect(await machinesCount()).toBe('1 resource, costliest first');
    expect(await page.getAttribute('#machines-body tr', 'data-resource')).toBe(top);
  });
});
