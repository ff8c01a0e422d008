/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The photographers' uploader in a real browser (Debian's Chromium through playwright-core)
 * against the real API, tus endpoint and workers: an upload link opened on a phone-sized Arabic
 * page sends three files — one of them across a few seconds offline — and shows each one's
 * thumbnail once processed; a refused link says so; the page is right to left in Arabic and left
 * to right in English; an editor mints, shows and withdraws a link.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, collectErrors, launch } from './browser.js';
import { makeClip, startGallery, type Gallery } from './server.js';
import { TEXT } from '../../src/web/locales/index.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const PHOTO = 'exif-orientation_1.jpg';
const BIG = 'panel-wide.jpg';
const CAPTION = 'كلمة الافتتاح في القاعة الكبرى';
/** Chromium's own lines for requests that failed while offline: expected here, not the page's errors. */
const OFFLINE_NOISE = /net::ERR_INTERNET_DISCONNECTED|net::ERR_NETWORK_CHANGED|Failed to load resource/;

// image and video processing on shared cores, and a throttled upload
t.setTimeout(600_000);

/** A camera-sized JPEG (~8 MB of noise, which no encoder shrinks): big enough to be mid-upload when the network drops. */
async function bigPhoto(dir: string): Promise<string> {
  const file = path.join(dir, BIG);
  await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg({ quality: 100 }).toFile(file);
  return file;
}

async function mintLink(g: Gallery, body: Record<string, unknown>): Promise<{ url: string; token: string }> {
  const res = await g.ctx.app.inject({
    method: 'POST', url: '/api/v1/events/conf/upload-links', headers: g.ctx.auth(g.ctx.admin),
    payload: { expiresAt: new Date(Date.now() + 86_400_000).toISOString(), ...body },
  });
  if (res.statusCode !== 201) throw new Error(`upload link: ${res.statusCode} ${res.body}`);
  const url = res.json().url as string;
  const token = new URLSearchParams(url.slice(url.indexOf('#') + 1)).get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return { url, token };
}

/** Progress of a file's row, 0–100. */
function progressOf(page: Page, name: string): Promise<number> {
  return page.evaluate((n) => {
    const li = [...document.querySelectorAll('#up-list > li')].find((l) => l.querySelector('.up-name bdi')?.textContent === n);
    return (li?.querySelector('progress') as HTMLProgressElement | null)?.value ?? -1;
  }, name);
}

function stateOf(page: Page, name: string): Promise<string | undefined> {
  return page.evaluate((n) => [...document.querySelectorAll<HTMLElement>('#up-list > li')].find((l) => l.querySelector('.up-name bdi')?.textContent === n)?.dataset.state, name);
}

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: scripts/system-deps.sh installs it`);
} else {
  t.test('the uploader in Chromium', async (t) => {
    const g = await startGallery(t);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-uploader-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const [big, clip] = await Promise.all([bigPhoto(dir), makeClip(4)]);
    const browser: Browser = await launch(t);

    async function open(t: Test, url: string, options: { locale?: string; phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
      const context = await browser.newContext({
        viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
        hasTouch: options.phone ?? false,
        locale: options.locale ?? 'ar',
      });
      t.teardown(() => context.close());
      const page = await context.newPage();
      const errors = collectErrors(page);
      const res = await page.goto(url);
      if (!res || res.status() !== 200) throw new Error(`${url}: ${res?.status()}`);
      return { context, page, errors };
    }

    await t.test('an upload link sends three files, one across a spell offline, and shows them ready with thumbnails', async (t) => {
      // an album not yet published: its thumbnails are shown only to those with the token
      const draft = await g.ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers: g.ctx.auth(g.ctx.admin), payload: { slug: 'backstage', title: { ar: 'الكواليس', en: 'Backstage' } } });
      t.equal(draft.statusCode, 201, draft.body);
      const link = await mintLink(g, { label: 'سارة', album: 'backstage' });
      t.match(link.url, new RegExp(`^${g.url}/(ar|en|ku|ckb|fr)/upload#token=`), 'the link opens the uploader with the token in the fragment');
      const { context, page, errors } = await open(t, `${g.url}/ar/upload#token=${link.token}`, { phone: true });

      await page.waitForSelector('#up-session:not([hidden])');
      t.equal(await page.evaluate(() => location.hash), '', 'the token left the address bar');
      t.equal(await page.evaluate(() => localStorage.getItem('lamha.upload.token')), link.token, 'and is kept for a reload');
      t.equal(await page.textContent('#up-album-fixed'), TEXT.ar.strings['upload.albumFixed'].replace('{album}', 'الكواليس'), 'the link\'s album, fixed');
      t.ok(await page.isHidden('#up-album-field'), 'no album to choose');
      t.equal(await page.inputValue('#up-caption-lang'), 'ar', 'captions in the page\'s language, one of the event\'s');

      // Every upload request, to tell a resumed upload from one started again.
      let creations = 0;
      const offsets: number[] = [];
      page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/uploads') creations++; });
      page.on('response', (r) => {
        if (r.request().method() === 'HEAD' && new URL(r.url()).pathname.startsWith('/api/v1/uploads/')) offsets.push(Number(r.headers()['upload-offset']));
      });

      // A venue's upload speed (1 MB/s), so that the big photo is still going when the network drops.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1_000_000 });

      await page.setInputFiles('#up-files', [fixture(PHOTO), big, clip]);
      t.equal(await page.locator('#up-list > li').count(), 3, 'a row per file');
      t.ok(await page.isVisible('#up-total'), 'and the total');
      for (const label of await page.$$eval('#up-list progress', (ps) => ps.map((p) => p.getAttribute('aria-label')))) {
        t.match(label, /^رفع /, 'each progress bar is labelled in Arabic with its file');
      }
      // a caption typed while the file is on its way reaches the asset
      const clipRow = page.locator('#up-list > li', { has: page.locator(`bdi:text-is("${path.basename(clip)}")`) });
      await clipRow.locator('input[type=text]').fill(CAPTION);
      await clipRow.locator('input[type=text]').press('Tab');

      await page.waitForFunction((n) => {
        const li = [...document.querySelectorAll('#up-list > li')].find((l) => l.querySelector('.up-name bdi')?.textContent === n);
        const v = (li?.querySelector('progress') as HTMLProgressElement | null)?.value ?? 0;
        return v >= 10;
      }, BIG, { timeout: 60_000, polling: 50 });
      const before = await progressOf(page, BIG);
      t.ok(before > 0 && before < 70, `the big photo is partly sent (${before} %) when the network drops`);
      t.match(await page.textContent('#up-total-text'), TEXT.ar.strings['upload.timeLeft'].replace('{time}', '').trim(), 'the total shows the time left');

      await context.setOffline(true);
      await page.waitForFunction((n) => [...document.querySelectorAll<HTMLElement>('#up-list > li')].find((l) => l.querySelector('.up-name bdi')?.textContent === n)?.dataset.state === 'offline', BIG, { timeout: 20_000 });
      t.equal(await page.evaluate(() => navigator.onLine), false);
      t.match(await page.textContent('#up-list > li[data-state=offline] .up-state'), TEXT.ar.strings['upload.state.offline'], 'the row says it waits for the connection');
      await page.waitForTimeout(4000);
      const during = await progressOf(page, BIG);
      t.ok(during < 100, 'not finished while offline');
      await context.setOffline(false);

      // All three processed, each with its thumbnail fetched with the link's token.
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll<HTMLElement>('#up-list > li')];
        return rows.length === 3 && rows.every((li) => {
          const img = li.querySelector<HTMLImageElement>('.up-thumb img');
          return li.dataset.state === 'ready' && img?.complete && img.naturalWidth > 0;
        });
      }, null, { timeout: 300_000, polling: 500 });
      const rows = await page.$$eval('#up-list > li', (lis) => lis.map((li) => ({
        id: (li as HTMLElement).dataset.assetId!,
        name: li.querySelector('.up-name bdi')!.textContent!,
        src: li.querySelector('img')!.getAttribute('src')!,
        alt: li.querySelector('img')!.getAttribute('alt')!,
        state: li.querySelector('.up-state')!.textContent!,
      })));
      for (const row of rows) {
        t.match(row.src, /^blob:/, `${row.name}: the thumbnail came through the API with the bearer`);
        t.equal(row.alt, TEXT.ar.strings['upload.thumbAlt'].replace('{name}', row.name));
        t.equal(row.state, TEXT.ar.strings['upload.state.ready']);
      }
      t.equal(creations, 3, 'one upload created per file: the interrupted one resumed rather than starting over');
      t.ok(offsets.some((o) => o > 0), `resumed from the server's offset (${offsets.join(', ')}), not from zero`);
      t.equal(await progressOf(page, BIG), 100);

      // What the server holds: the files as they were, in the link's album, the caption in Arabic.
      const admin = g.ctx.auth(g.ctx.admin);
      for (const [name, file] of [[PHOTO, fixture(PHOTO)], [BIG, big], [path.basename(clip), clip]] as const) {
        const row = rows.find((r) => r.name === name)!;
        const asset = (await g.ctx.app.inject({ url: `/api/v1/assets/${row.id}`, headers: admin })).json();
        t.equal(asset.status, 'ready', `${name} is ready`);
        t.equal(asset.album, 'backstage');
        const thumb = new URL(asset.renditions['thumb.webp'].url);
        t.equal((await g.ctx.app.inject({ url: thumb.pathname + thumb.search })).statusCode, 404, `${name}: its thumbnail is not public`);
        t.equal(asset.originalFilename, name);
        t.equal(asset.sha256, createHash('sha256').update(await readFile(file)).digest('hex'), `${name}: every byte arrived, once`);
        if (file === clip) t.same(asset.caption, { ar: CAPTION }, 'the caption typed during the upload, in Arabic');
      }
      t.match(await page.textContent('#up-announce'), new RegExp(TEXT.ar.strings['upload.state.ready']), 'the screen reader heard about it');

      // A reload keeps the link; forgetting it asks for one.
      await page.reload();
      await page.waitForSelector('#up-session:not([hidden])');
      await page.click('#up-forget');
      await page.waitForSelector('#up-link-form:not([hidden])');
      t.equal(await page.evaluate(() => localStorage.getItem('lamha.upload.token')), null, 'forgotten');
      t.same(errors.filter((e) => !OFFLINE_NOISE.test(e)), [], 'no page error');
    });

    await t.test('after a reload, the same file picked again resumes its upload; a file the event has is a duplicate', async (t) => {
      const link = await mintLink(g, { label: 'reload', album: 'day-1' });
      const { context, page, errors } = await open(t, `${g.url}/en/upload#token=${link.token}`, { locale: 'en' });
      page.on('dialog', (d) => void d.accept()); // "leave the page?" while files are going
      let creations = 0;
      const offsets: number[] = [];
      page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/uploads') creations++; });
      page.on('response', (r) => {
        if (r.request().method() === 'HEAD' && new URL(r.url()).pathname.startsWith('/api/v1/uploads/')) offsets.push(Number(r.headers()['upload-offset']));
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1_000_000 });

      await page.waitForSelector('#up-session:not([hidden])');
      await page.setInputFiles('#up-files', [big]);
      await page.waitForFunction(() => ((document.querySelector('#up-list progress') as HTMLProgressElement | null)?.value ?? 0) >= 30, null, { timeout: 60_000, polling: 50 });
      await page.reload();
      await page.waitForSelector('#up-session:not([hidden])');
      t.equal(await page.locator('#up-list > li').count(), 0, 'a new page knows no files');
      await page.setInputFiles('#up-files', [big]);
      await page.waitForSelector('#up-list > li[data-state=ready] .up-thumb img', { timeout: 120_000 });
      t.equal(creations, 1, 'the upload begun before the reload went on: none created after it');
      t.ok(offsets.length > 0 && offsets[0]! > 0, `it went on from the server's offset (${offsets.join(', ')})`);
      t.equal(await stateOf(page, BIG), 'ready');
      t.equal(await page.textContent('#up-list > li .up-state'), TEXT.en.strings['upload.state.duplicate'], 'the photo was sent through the first link already: said so');
      t.same(errors.filter((e) => !OFFLINE_NOISE.test(e)), [], 'no page error');
    });

    await t.test('a link withdrawn while it is open says so in words after a reload, and asks for another', async (t) => {
      const link = await mintLink(g, { label: 'gone' });
      const { page } = await open(t, `${g.url}/ar/upload#token=${link.token}`);
      await page.waitForSelector('#up-session:not([hidden])');
      t.equal(await page.evaluate(() => localStorage.getItem('lamha.upload.token')), link.token, 'kept while it works');
      const links = (await g.ctx.app.inject({ url: '/api/v1/events/conf/upload-links', headers: g.ctx.auth(g.ctx.admin) })).json().links as { id: string; label: string }[];
      const id = links.find((l) => l.label === 'gone')!.id;
      t.equal((await g.ctx.app.inject({ method: 'DELETE', url: `/api/v1/upload-links/${id}`, headers: g.ctx.auth(g.ctx.admin) })).statusCode, 204);
      await page.reload();
      await page.waitForSelector('#up-link-form:not([hidden])');
      t.equal(await page.textContent('#up-status'), TEXT.ar.strings['upload.refused']);
      t.ok(await page.isHidden('#up-session'));
      t.equal(await page.evaluate(() => localStorage.getItem('lamha.upload.token')), null, 'no longer kept: the next visit asks for a link at once');
      // a pasted link that is no link at all
      await page.fill('#up-token', 'https://example.org/ar/upload');
      await page.press('#up-token', 'Enter');
      t.equal(await page.textContent('#up-status'), TEXT.ar.strings['upload.refused']);
    });

    await t.test('the Arabic page runs right to left, the English one left to right', async (t) => {
      const link = await mintLink(g, { label: 'layout' });
      const boxes = async (locale: string) => {
        const { page } = await open(t, `${g.url}/${locale}/upload#token=${link.token}`, { locale });
        await page.waitForSelector('#up-session:not([hidden])');
        await page.setInputFiles('#up-files', [fixture(PHOTO)]);
        const thumb = (await page.locator('#up-list > li .up-thumb').first().boundingBox())!;
        const body = (await page.locator('#up-list > li .up-body').first().boundingBox())!;
        const files = (await page.locator('#up-pick-files').boundingBox())!;
        const folder = (await page.locator('#up-pick-folder').boundingBox())!;
        return { dir: await page.getAttribute('html', 'dir'), thumbFirst: { rtl: thumb.x > body.x, ltr: thumb.x < body.x }, filesFirst: { rtl: files.x > folder.x, ltr: files.x < folder.x }, page };
      };
      const ar = await boxes('ar');
      t.equal(ar.dir, 'rtl');
      t.ok(ar.thumbFirst.rtl, 'Arabic: the thumbnail on the right of its file\'s text');
      t.ok(ar.filesFirst.rtl, 'Arabic: "choose files" before (right of) "choose a folder"');
      t.equal(await ar.page.$eval('#up-drop', (e) => getComputedStyle(e).direction), 'rtl');
      const en = await boxes('en');
      t.equal(en.dir, 'ltr');
      t.ok(en.thumbFirst.ltr, 'English: the thumbnail on the left');
      t.ok(en.filesFirst.ltr, 'English: "choose files" on the left');
      // French is not one of the event's languages: captions go in its default (Arabic), and the page says why
      const { page: fr } = await open(t, `${g.url}/fr/upload#token=${link.token}`, { locale: 'fr' });
      await fr.waitForSelector('#up-session:not([hidden])');
      t.equal(await fr.inputValue('#up-caption-lang'), 'ar');
      t.ok(await fr.isVisible('#up-lang-note'));
    });

    await t.test('an editor mints a link with its QR code, sees it listed and withdraws it', async (t) => {
      const { page, errors } = await open(t, `${g.url}/en/upload`, { locale: 'en' });
      await page.waitForSelector('#up-link-form:not([hidden])');
      await page.fill('#up-token', g.ctx.admin);
      await page.press('#up-token', 'Enter');
      await page.waitForSelector('#up-links:not([hidden])');
      await page.fill('#up-mint-label', 'Omar, day one');
      await page.selectOption('#up-mint-album', 'day-1');
      await page.fill('#up-mint-days', '3');
      await page.click('#up-mint button[type=submit]');
      await page.waitForSelector('#up-minted:not([hidden])');
      const url = await page.inputValue('#up-minted-url');
      t.match(url, new RegExp(`^${g.url}/[a-z]+/upload#token=`));
      t.ok(await page.$('#up-qr svg[role=img]'), 'the QR code, as SVG');
      t.equal(await page.getAttribute('#up-qr svg', 'aria-label'), TEXT.en.strings['upload.links.qr']);
      const token = new URLSearchParams(url.slice(url.indexOf('#') + 1)).get('token')!;
      const me = await g.ctx.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      t.equal(me.statusCode, 200, 'the new link works');
      t.equal(me.json().album, 'day-1');

      const item = page.locator('#up-links-list > li', { hasText: 'Omar, day one' });
      await item.waitFor();
      t.match(await item.textContent(), TEXT.en.strings['upload.links.never'], 'not used yet');
      page.once('dialog', (d) => void d.accept());
      await item.locator('button').click();
      // this link's item, not any withdrawn one: an earlier test may have withdrawn another link of the event
      await page.locator('#up-links-list > li[data-revoked]', { hasText: 'Omar, day one' }).waitFor();
      t.equal((await g.ctx.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'withdrawn: refused');
      t.same(errors, [], 'no page error');
    });
  });
}
