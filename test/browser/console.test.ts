/// <reference lib="dom" />
/**
 * The organisers' console in Chromium against the real API and workers: an editor opens a
 * sign-in link, edits an Arabic caption, reorders two photos by drag and drop and by keyboard,
 * approves a waiting upload, publishes an album, and each change is on the public page; screenshots of the console in
 * Arabic and English go to test/browser/screenshots/ (gitignored: they change with every run).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { collectErrors, launch } from './browser.js';
import { startGallery } from './server.js';
import { albumStrings } from '../../src/web/locales/admin/album.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
const CAPTION = 'المتحدثون في الجلسة الأولى';

t.setTimeout(300_000);

/** The public album's items, in order, by asset id (read from the tiles' links). */
async function publicOrder(page: Page, url: string): Promise<string[]> {
  await page.goto(url);
  return page.$$eval('.tile a[href]', (links) => links.map((a) => (a as HTMLAnchorElement).pathname.split('/').pop()!));
}

t.test('an editor curates in the console and sees each change on the public page', async (t) => {
  const g = await startGallery(t);
  const uploaded = [await g.upload(fixture('exif-orientation_1.jpg'), { caption: 'صورة أولى' }), await g.upload(fixture('exif-orientation_3.jpg'), { caption: 'صورة ثانية' })];
  for (const id of uploaded) await g.ready(id);
  // a draft album to publish from the console
  const draft = await g.ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: g.ctx.auth(g.ctx.admin), payload: { slug: 'day-2', title: { ar: 'اليوم الثاني', en: 'Day two' } } });
  t.equal(draft.statusCode, 201);
  const editor = await g.ctx.mint('editor', 'conf');

  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'ar', viewport: { width: 1280, height: 2400 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  const viewer = await context.newPage();

  // a sign-in link: the fragment never reaches the server; the console's script sends it in the form
  await page.goto(`${g.url}/admin/login#token=${editor}`);
  await page.waitForURL(`${g.url}/ar/admin`);
  t.notOk(page.url().includes(editor), 'the token is gone from the address bar');
  t.equal(await page.getAttribute('html', 'dir'), 'rtl');

  await page.click('a[href="/ar/admin/e/conf"]');
  await page.click('a[href="/ar/admin/e/conf/a/day-1"]');
  // the album's order as it stands: `first` on top
  const [first, second] = await page.$$eval('li.admin-item', (lis) => lis.map((li) => (li as HTMLElement).dataset.id!));
  t.same([first, second].sort(), [...uploaded].sort());
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [first, second], 'the public page shows the same order');

  // an Arabic caption, typed and left with Tab: saved at once (inline save)
  await page.fill(`#cap-${first}-ar`, CAPTION);
  await page.keyboard.press('Tab');
  await page.waitForFunction((text) => document.getElementById('order-status')?.textContent === text, albumStrings.text.ar['album.fieldSaved']);
  await viewer.goto(`${g.url}/ar/e/conf/day-1`);
  t.ok((await viewer.content()).includes(CAPTION), 'the new caption is on the public page');
  // and an English one with "Save all", the form's first button, from the keyboard (Enter in a field)
  await page.fill(`#cap-${second}-en`, 'Speakers of the first session');
  await page.focus(`#credit-${second}`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/saved=\d/);
  await viewer.goto(`${g.url}/en/e/conf/day-1`);
  t.ok((await viewer.content()).includes('Speakers of the first session'), 'saved with the form too');

  // drag the second photo above the first by its handle, as a hand does (both rows in view: the page is tall)
  const from = (await page.locator(`#item-${second} .admin-handle`).boundingBox())!;
  const to = (await page.locator(`#item-${first}`).boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + 40, to.y + 10, { steps: 12 });
  await page.mouse.move(to.x + 40, to.y + 5, { steps: 3 });
  await page.mouse.up();
  await page.waitForFunction((text) => document.getElementById('order-status')?.textContent === text, albumStrings.text.ar['album.orderSaved']);
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [second, first], 'dragged order is public');

  // and back with the keyboard: the Move down button of the (now first) second photo
  await page.reload();
  await page.focus(`#item-${second} button[value="${second}:down"]`);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#item-${second}$`));
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [first, second], 'keyboard order is public');

  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'console-album-ar.png'), fullPage: true });

  // every item selected at once, then hidden together: the public album is empty
  await page.check('#select-all');
  await page.selectOption('#bulk-action', 'hide');
  await page.click('button[name=intent][value=bulk]');
  await page.waitForURL(/done=2/);
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [], 'both hidden with one bulk action');

  // uploads wait for approval: turned on in the console, a new photo stays off the public page until approved there
  await page.goto(`${g.url}/ar/admin/e/conf`);
  await page.click('a[href="/ar/admin/e/conf/moderation"]');
  await page.click('form[action$="/moderation/setting"] button');
  await page.waitForURL(`${g.url}/ar/admin/e/conf/moderation`);
  const late = await g.upload(fixture('exif-orientation_6.jpg'), { caption: 'صورة تنتظر الموافقة' });
  await g.ready(late);
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [], 'a photo waiting for approval is not public');
  await page.reload();
  await page.click(`li[data-id="${late}"] button.admin-publish`);
  await page.waitForURL(/done=approved/);
  t.same(await publicOrder(viewer, `${g.url}/ar/e/conf/day-1`), [late], 'approved in the console, it is public');

  // publish the draft album
  t.equal((await viewer.goto(`${g.url}/ar/e/conf/day-2`))!.status(), 404, 'a draft is not public');
  await page.goto(`${g.url}/ar/admin/e/conf/a/day-2`);
  await page.click('button.admin-publish');
  await page.waitForURL(`${g.url}/ar/admin/e/conf/a/day-2`);
  t.equal((await viewer.goto(`${g.url}/ar/e/conf/day-2`))!.status(), 200, 'published from the console');

  // the same console in English
  await page.goto(`${g.url}/en/admin/e/conf/a/day-1`);
  t.equal(await page.getAttribute('html', 'dir'), 'ltr');
  await page.screenshot({ path: path.join(SHOTS, 'console-album-en.png'), fullPage: true });

  // sign out: the console asks who you are again
  await page.click('form.admin-signout button');
  await page.waitForURL(/\/en\/admin\/login\?notice=signedOut/);
  await page.goto(`${g.url}/en/admin`);
  t.match(page.url(), /\/en\/admin\/login/);
  t.same(errors, [], 'no script errors');
});
