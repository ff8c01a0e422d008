/// <reference lib="dom" />
/**
 * The BullMQ dashboard in Chromium under its Content-Security-Policy: an admin signed in to the
 * console opens it from the processing page and sees the app's three queues, the page's scripts
 * running with nothing refused but the third-party fonts it asks for.
 */
import t from 'tap';
import { collectErrors, launch, screenshot } from './browser.js';
import { startGallery } from './server.js';

t.setTimeout(120_000);

t.test('an admin opens the queue dashboard from the console and it runs under its policy', async (t) => {
  const g = await startGallery(t);
  await g.ctx.queues.queues.maintenance.add('purge-asset', { assetId: 'waits' }, { delay: 600_000 });
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'en', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${g.url}/admin/login#token=${g.ctx.admin}`);
  await page.waitForURL(`${g.url}/en/admin`);
  await page.goto(`${g.url}/en/admin/processing`);
  await page.click('a[href="/admin/queues"]');
  await page.waitForURL(`${g.url}/admin/queues`);
  for (const name of ['images', 'videos', 'maintenance']) await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
  t.pass('the three queues are listed');
  // a queue's page, its jobs fetched from the dashboard's API: the delayed purge is there
  await page.getByText('maintenance', { exact: true }).first().click();
  await page.getByText('Delayed', { exact: false }).first().click();
  await page.getByText('purge-asset').first().waitFor({ timeout: 15_000 });
  t.pass("the maintenance queue's delayed job is shown");
  await screenshot(page, 'queues-dashboard');
  const unexpected = errors.filter((e) => !/fonts\.googleapis\.com/.test(e));
  t.same(unexpected, [], 'no script or policy errors but the refused third-party fonts');
});
