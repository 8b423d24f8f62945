import type { Page } from 'playwright-core';
import type { MeteringConfig } from '@metering/service';
import { Browser, launchChromium } from '../scripts/chromium';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { call, RunningServices, seedHost, startServices } from './support/services';

/** The dashboard's alerts card, in headless Chromium: a billing member creates, lists and removes an alert. */
describe('the dashboard alerts card', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: RunningServices;
  let browser: Browser;
  let page: Page;
  const tokens: Record<string, string> = {};
  const op = TEST_OPERATOR_TOKEN;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    [svc, browser] = await Promise.all([startServices(config), launchChromium()]);
    await seedHost(svc.api, op, ['acme']);
    for (const role of ['billing', 'viewer']) {
      await call(`${svc.api}/v1/orgs/acme/members`, { token: op, body: { email: `${role}@acme.test`, role } });
      tokens[role] = (
        await call(`${svc.api}/v1/orgs/acme/tokens`, { token: op, body: { email: `${role}@acme.test` } })
      ).body.token;
    }
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  const signIn = async (token: string) => {
    await page.goto(`${svc.api}/`);
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${svc.api}/`);
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#dashboard-view:not([hidden])');
  };

  it('lets a billing member create an alert, shows its secret once, lists it and removes it', async () => {
    await signIn(tokens['billing']!);
    await page.waitForSelector('#alerts-panel:not([hidden]) #alerts-body');
    await page.fill('#alert-form [name=name]', 'Budget');
    await page.fill('#alert-form [name=threshold]', 'ten');
    await page.click('#alert-form button[type=submit]');
    await page.waitForSelector('#alerts-message.error');
    expect(await page.textContent('#alerts-message')).toContain('threshold');
    await page.fill('#alert-form [name=threshold]', '250.00');
    await page.click('#alert-form button[type=submit]');
    await page.waitForSelector('#alerts-body tr[data-alert]');
    expect(await page.textContent('#alerts-message')).toMatch(/secret, shown only now: whsec_/);
    const listed = (await call(`${svc.api}/v1/orgs/acme/alerts`, { token: tokens['billing'] })).body;
    expect(listed).toEqual([expect.objectContaining({ name: 'Budget', threshold: '250.00' })]);
    expect(await page.textContent(`#alerts-body tr[data-alert="${listed[0].id}"]`)).toContain('$250.00');
    await page.click(`#alerts-body tr[data-alert="${listed[0].id}"] button`);
    await page.waitForSelector('#alerts-body tr:not([data-alert])');
    expect((await call(`${svc.api}/v1/orgs/acme/alerts`, { token: tokens['billing'] })).body).toEqual([]);
  });

  it('shows a viewer no alerts card', async () => {
    await signIn(tokens['viewer']!);
    expect(await page.isHidden('#alerts-panel')).toBe(true);
  });
});
