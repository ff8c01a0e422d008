/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The public gallery in a real browser (Debian's Chromium through playwright-core) against the
 * real API and workers: an Arabic album page, its lightbox, video playback with subtitles (native
 * HLS, hls.js and the storyboard previews), and a new upload arriving live. Screenshots go to
 * test-artifacts/browser/.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, collectErrors, launch, screenshot } from './browser.js';
import { publishAssetReady } from '../../src/redis/live.js';
import { makeClip, startGallery, type Gallery } from './server.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

const PHOTOS = [
  { file: 'exif-orientation_1.jpg', caption: 'افتتاح المؤتمر في باريس', credit: 'سارة' },
  { file: 'jpeg_canon-600d_gps_iptc_xmp.jpg', caption: 'الجلسة الأولى: حوار حول الذاكرة', credit: 'عمر' },
  { file: 'png_rgba_alpha.png', caption: 'رسم من معرض المشاركين', credit: 'ليلى' },
];
const VIDEO_CAPTION = 'كلمة الافتتاح';
const AR_CUE = 'مرحباً بكم في المؤتمر';
const SUBTITLES = {
  ar: `WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n${AR_CUE}\n\n00:00:04.000 --> 00:00:08.000\nشكراً لحضوركم\n`,
  en: 'WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nWelcome to the conference\n\n00:00:04.000 --> 00:00:08.000\nThank you for coming\n',
};

// A video transcode, image derivations and a dozen browser pages on two shared cores: more than
// the suite's default per-file time when the machine is busy.
t.setTimeout(600_000);

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: scripts/system-deps.sh installs it`);
} else {
  t.test('the Arabic album page in Chromium', async (t) => {
    const g = await startGallery(t);
    const photos: string[] = [];
    for (const p of PHOTOS) photos.push(await g.upload(fixture(p.file), { caption: p.caption, credit: p.credit }));
    const video = await g.upload(await makeClip(), { caption: VIDEO_CAPTION });
    for (const id of [...photos, video]) await g.ready(id);
    await g.subtitles(video, 'ar', SUBTITLES.ar);
    await g.subtitles(video, 'en', SUBTITLES.en);

    const browser = await launch(t);
    const albumUrl = `${g.url}/ar/e/conf/day-1`;
    const pageErrors = new WeakMap<Test, string[]>();
    const errorsOf = (t: Test): string[] => {
      const errors = pageErrors.get(t);
      if (!errors) throw new Error(`${t.name}: pages are opened in a check()`);
      return errors;
    };

    /** A page in a context of its own, closed when the subtest ends. */
    async function open(t: Test, url: string, init?: () => void): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ar' });
      t.teardown(() => context.close());
      if (init) await context.addInitScript(init);
      const page = await context.newPage();
      collectErrors(page, errorsOf(t));
      const res = await page.goto(url);
      if (!res || res.status() !== 200) throw new Error(`${url}: ${res?.status()}`);
      await lightboxReady(page);
      return page;
    }

    /** The lightbox module loads after the page: a click or Enter before it follows the link instead. */
    async function lightboxReady(page: Page): Promise<void> {
      if (await page.$('#grid')) await page.waitForSelector('#grid[data-lightbox="ready"]', { state: 'attached', timeout: 15_000 });
    }

    // Every page has a browser context of its own and the shared album is never changed (the live
    // tests upload to albums of their own), so these run in any order, three at a time: most of
    // their time is the browser playing video in real time.
    await t.test('each page on its own, several at once', { jobs: 3 }, async (group) => {
      /** A subtest whose pages must log no error. */
      function check(name: string, fn: (t: Test) => Promise<void>): void {
        void group.test(name, async (t) => {
          const errors: string[] = [];
          pageErrors.set(t, errors);
          await fn(t);
          t.same(errors, [], 'no page logged an error');
        });
      }

      check('is right-to-left and its images load', async (t) => {
        const page = await open(t, albumUrl);
        t.equal(await page.getAttribute('html', 'dir'), 'rtl');
        t.equal(await page.getAttribute('html', 'lang'), 'ar');
        t.equal(await page.locator('#grid > li.tile').count(), 4, 'three photos and a video');
        // lazy images load as they scroll into view
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#grid img')].every((img) => img.complete && img.naturalWidth > 0), null, { timeout: 30_000 });
        const images = await page.$$eval('#grid img', (imgs) => imgs.map((i) => ({ w: (i as HTMLImageElement).naturalWidth, src: (i as HTMLImageElement).currentSrc, hash: (i as HTMLImageElement).dataset.thumbhash ?? '', bg: (i as HTMLImageElement).style.backgroundImage + (i as HTMLImageElement).style.backgroundColor })));
        t.equal(images.length, 4);
        for (const img of images) {
          t.ok(img.w > 0, `${img.src} decoded`);
          t.match(img.src, new RegExp(`^${g.url}/media/`), 'served by /media');
          t.ok(img.hash, 'has a thumbhash');
          t.equal(img.bg, '', 'the placeholder is gone once the image is there');
        }
        const decoded = await page.evaluate(async (hash) => (await import('/static/placeholders.js' as string)).placeholderUrl(hash), images[0]!.hash);
        t.match(decoded, /^data:image\/png;base64,/, 'the thumbhash decodes to a picture');
        await page.evaluate(() => window.scrollTo(0, 0));
        await screenshot(page, 'album-ar');
      });

      check('the lightbox opens on a photo with its Arabic caption, moves right to left and links to each item', async (t) => {
        const page = await open(t, albumUrl);
        const strings = JSON.parse((await page.textContent('#lamha-strings'))!);
        const order = await page.$$eval('#grid > li.tile', (lis) => lis.map((li) => (li as HTMLElement).dataset.assetId!));
        const first = order.find((id) => photos.includes(id))!;
        const next = order[order.indexOf(first) + 1]!;
        await page.click(`#a-${first} .tile-link`);
        await page.waitForSelector('.pswp--open');
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id && (window as any).pswp.opener.isOpen, first);
        await page.waitForFunction(() => {
          const img = document.querySelector<HTMLImageElement>('.pswp__item[aria-hidden="false"] img.pswp__img');
          return !!img && img.complete && img.naturalWidth > 0;
        }, null, { timeout: 20_000 });
        const caption = page.locator('.pswp__lamha-caption .caption');
        t.equal((await caption.textContent())?.trim(), PHOTOS[photos.indexOf(first)]!.caption);
        t.equal(await caption.getAttribute('lang'), 'ar');
        t.equal(await caption.getAttribute('dir'), 'rtl');
        t.match(await page.textContent('.pswp__lamha-caption .credit'), PHOTOS[photos.indexOf(first)]!.credit);
        t.match(await page.textContent('.pswp__lamha-counter'), strings['lightbox.counterOf'], 'the counter speaks Arabic');
        const download = page.locator('.pswp__button--lamha-download');
        t.equal(await download.getAttribute('href'), await page.getAttribute(`#a-${first} .tile-link`, 'data-download'));
        t.equal(await download.getAttribute('download'), await page.getAttribute(`#a-${first} .tile-link`, 'data-download-name'));
        t.equal(new URL(page.url()).hash, `#a-${first}`, 'the address names the open item');
        t.equal(await page.getAttribute('.pswp__button--arrow--prev', 'title'), strings['lightbox.next'], 'the left arrow goes forward in Arabic');
        await screenshot(page, 'lightbox-photo-ar');

        await page.keyboard.press('ArrowLeft');
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id, next);
        t.equal(new URL(page.url()).hash, `#a-${next}`, 'ArrowLeft moves to the next item in reading order');
        await page.keyboard.press('ArrowRight');
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id, first);
        await page.keyboard.press('Escape');
        await page.waitForSelector('.pswp', { state: 'detached' });
        await page.waitForFunction(() => location.hash === '');
        t.pass('closing clears the item from the address');

        await page.click(`#a-${first} .tile-link`);
        await page.waitForFunction(() => (window as any).pswp?.opener.isOpen);
        t.ok(await page.evaluate(() => history.state?.lamhaLightbox), 'opening from the grid adds a history entry');
        await page.goBack();
        await page.waitForSelector('.pswp', { state: 'detached' });
        t.equal(page.url(), albumUrl, 'Back closes the lightbox and stays on the album');
        t.equal(await page.locator('#grid').count(), 1);

        const deep = await open(t, `${albumUrl}#a-${next}`);
        await deep.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id && (window as any).pswp.opener.isOpen, next, { timeout: 15_000 });
        t.pass('an address with #a-{id} opens that item');
        t.notOk(await deep.evaluate(() => history.state?.lamhaLightbox), 'a linked item adds no history entry');
        await deep.keyboard.press('Escape');
        await deep.waitForSelector('.pswp', { state: 'detached' });
        await deep.waitForFunction(() => location.hash === '');
      });

      /** Plays a <video> muted and waits until it has data ahead and its time moves on. */
      async function plays(page: Page, selector: string) {
        return page.evaluate(async (sel) => {
          const v = document.querySelector<HTMLVideoElement>(sel)!;
          v.muted = true;
          await v.play();
          const started = performance.now();
          while ((v.readyState < 3 || v.currentTime < 1.2) && performance.now() - started < 20_000) await new Promise((r) => setTimeout(r, 100));
          // read when the wait ends: on a loaded machine hls.js may still be appending the next
          // segment 600 ms later (readyState 2 for a moment), which is buffering, not a fault
          const readyState = v.readyState;
          const t1 = v.currentTime;
          await new Promise((r) => setTimeout(r, 600));
          const tracks = [...v.textTracks].map((tr) => ({ lang: tr.language, mode: tr.mode, cues: [...(tr.cues ?? [])].map((c) => (c as VTTCue).text) }));
          return { readyState, t1, t2: v.currentTime, engine: v.dataset.engine, error: v.error?.message ?? null, tracks, width: v.videoWidth };
        }, selector);
      }

      function checkPlayback(t: Test, r: Awaited<ReturnType<typeof plays>>) {
        t.equal(r.error, null, 'no media error');
        t.ok(r.readyState >= 3, `readyState ${r.readyState} ≥ 3`);
        t.ok(r.t2 > r.t1 && r.t1 >= 1.2, `time moves on: ${r.t1} → ${r.t2}`);
        t.equal(r.width, 640, 'frames decoded');
        const ar = r.tracks.find((tr) => tr.lang === 'ar');
        t.ok(ar, 'an Arabic subtitle track');
        t.equal(ar?.mode, 'showing', 'the page\'s language is shown by default');
        t.ok(ar?.cues.includes(AR_CUE), 'its cues are loaded');
        const en = r.tracks.find((tr) => tr.lang === 'en');
        t.ok(en, 'an English subtitle track too');
        t.not(en?.mode, 'showing', 'one language at a time');
      }

      check('a video plays in the lightbox with Arabic subtitles', async (t) => {
        const page = await open(t, albumUrl);
        await page.click(`#a-${video} .tile-link`);
        await page.waitForSelector('.pswp--open .lamha-video video[data-engine]');
        await page.waitForFunction(() => (window as any).pswp?.opener.isOpen);
        const r = await plays(page, '.pswp--open .lamha-video video');
        checkPlayback(t, r);
        t.match(r.engine, /^(native-hls|hls\.js)$/, `plays HLS (${r.engine})`);
        t.equal((await page.textContent('.pswp__lamha-caption .caption'))?.trim(), VIDEO_CAPTION);
        await screenshot(page, 'lightbox-video-ar');
      });

      check('the video page plays HLS through hls.js where the browser has no native HLS, with storyboard previews', async (t) => {
        // Chromium answers "maybe" for HLS; hiding that makes the page take the hls.js path.
        const page = await open(t, `${albumUrl}/${video}`, () => {
          const original = HTMLMediaElement.prototype.canPlayType;
          HTMLMediaElement.prototype.canPlayType = function (type: string) {
            return /mpegurl/i.test(type) ? '' : original.call(this, type);
          };
        });
        await page.waitForSelector('video.player[data-engine]');
        const r = await plays(page, 'video.player');
        t.equal(r.engine, 'hls.js');
        checkPlayback(t, r);
        const bar = page.locator('.player-scrub');
        await bar.waitFor();
        const box = (await bar.boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
        const preview = page.locator('.player-preview');
        await preview.waitFor({ state: 'visible' });
        const bg = await preview.evaluate((el) => (el as HTMLElement).style.backgroundImage);
        t.match(bg, /\/media\/[0-9a-f-]+\/storyboard\.jpg/, 'the preview shows the storyboard sprite');
        const sprite = bg.replace(/^url\("?|"?\)$/g, '');
        const loaded = await page.evaluate((src) => new Promise<number>((resolve) => {
          const img = new Image();
          img.onload = () => resolve(img.naturalWidth);
          img.onerror = () => resolve(0);
          img.src = src;
        }), sprite);
        t.ok(loaded > 0, 'the sprite loads');
        await screenshot(page, 'video-page-hlsjs-storyboard');
      });

      check('the video\'s thumbhash shows until its poster arrives', async (t) => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        t.teardown(() => context.close());
        // a slow link: the poster takes two seconds
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        await context.route(`**/media/${video}/*.{webp,jpg}*`, async (route) => {
          await held;
          await route.continue();
        });
        const page = await context.newPage();
        collectErrors(page, errorsOf(t));
        await page.goto(`${albumUrl}/${video}`, { waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video.player')?.style.backgroundImage.startsWith('url("data:image/png;base64,'));
        t.pass('the placeholder is painted while the poster loads');
        release();
        await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video.player')?.style.backgroundImage === '', null, { timeout: 15_000 });
        t.pass('and goes once the poster is there');
      });

      check('the video page plays natively where the browser has HLS', async (t) => {
        const page = await open(t, `${albumUrl}/${video}`);
        await page.waitForSelector('video.player[data-engine]');
        const r = await plays(page, 'video.player');
        const native = await page.evaluate(() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl'));
        t.equal(r.engine, native ? 'native-hls' : 'hls.js');
        checkPlayback(t, r);
      });

      check('in English the lightbox runs left to right', async (t) => {
        const page = await open(t, `${g.url}/en/e/conf/day-1`);
        t.equal(await page.getAttribute('html', 'dir'), 'ltr');
        const strings = JSON.parse((await page.textContent('#lamha-strings'))!);
        const order = await page.$$eval('#grid > li.tile', (lis) => lis.map((li) => (li as HTMLElement).dataset.assetId!));
        await page.click(`#a-${order[0]} .tile-link`);
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id && (window as any).pswp.opener.isOpen, order[0]);
        t.equal(await page.getAttribute('.pswp__button--arrow--next', 'title'), strings['lightbox.next']);
        await page.keyboard.press('ArrowRight');
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id, order[1]);
        t.match(await page.textContent('.pswp__lamha-counter'), /^2 of 4$/);
        t.pass('ArrowRight moves to the next item');
      });

      check('without the scripts, a tile leads to its page and the video plays from its MP4', async (t) => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        t.teardown(() => context.close());
        // the scripts answer as empty modules: the page as a browser without them (or with them failing) gets it
        await context.route(/\/static\/.+\.m?js(\?.*)?$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
        const page = await context.newPage();
        collectErrors(page, errorsOf(t));
        await page.goto(albumUrl);
        await Promise.all([page.waitForURL(`${albumUrl}/${video}`), page.click(`#a-${video} .tile-link`)]);
        t.equal(await page.locator('video.player').getAttribute('data-engine'), null, 'not enhanced');
        const r = await plays(page, 'video.player');
        t.ok(r.readyState >= 3 && r.t2 > r.t1, `the MP4 plays: readyState ${r.readyState}, ${r.t1} → ${r.t2}`);
        t.match(await page.evaluate(() => document.querySelector('video')!.currentSrc), /\/download\.mp4/);
        t.equal(r.tracks.find((tr) => tr.lang === 'ar')?.mode, 'showing', 'the Arabic track is the default by markup alone');
      });

      check('when HLS cannot be loaded, the player falls back to the MP4', async (t) => {
        for (const engine of ['native-hls', 'hls.js']) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          t.teardown(() => context.close());
          if (engine === 'hls.js') {
            await context.addInitScript(() => {
              const original = HTMLMediaElement.prototype.canPlayType;
              HTMLMediaElement.prototype.canPlayType = function (type: string) {
                return /mpegurl/i.test(type) ? '' : original.call(this, type);
              };
            });
          }
          await context.route('**/media/*/hls/**', (route) => route.fulfill({ status: 404, body: '' }));
          const page = await context.newPage();
          const failures: string[] = [];
          // the refused playlist is logged as a failed load; nothing may throw
          page.on('pageerror', (err) => failures.push(err.message));
          await page.goto(`${albumUrl}/${video}`);
          await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('video.player')?.dataset.engine === 'mp4', null, { timeout: 20_000 });
          const r = await plays(page, 'video.player');
          t.ok(r.readyState >= 3 && r.t2 > r.t1, `${engine}: the MP4 plays (readyState ${r.readyState}, ${r.t1} → ${r.t2})`);
          t.match(await page.evaluate(() => document.querySelector('video')!.currentSrc), /\/download\.mp4/, `${engine}: from download.mp4`);
          t.same(failures, [], `${engine}: no uncaught error`);
        }
      });

      check('a tile opens from the keyboard and focus comes back to it', async (t) => {
        const page = await open(t, albumUrl);
        await page.focus(`#a-${photos[1]} .tile-link`);
        await page.keyboard.press('Enter');
        await page.waitForFunction((id) => (window as any).pswp?.currSlide?.data.assetId === id && (window as any).pswp.opener.isOpen, photos[1]);
        t.ok(await page.evaluate(() => document.querySelector('.pswp')!.contains(document.activeElement)), 'focus is in the lightbox');
        await page.keyboard.press('Escape');
        await page.waitForSelector('.pswp', { state: 'detached' });
        t.equal(await page.evaluate(() => document.activeElement?.closest('li')?.id), `a-${photos[1]}`, 'focus is back on the tile');
      });

      check('with reduced motion the lightbox opens and closes without animation', async (t) => {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
        t.teardown(() => context.close());
        const page = await context.newPage();
        collectErrors(page, errorsOf(t));
        await page.goto(albumUrl);
        await lightboxReady(page);
        await page.click(`#a-${photos[0]} .tile-link`);
        await page.waitForFunction(() => (window as any).pswp?.opener.isOpen);
        const options = await page.evaluate(() => {
          const o = (window as any).pswp.options;
          return { type: o.showHideAnimationType, show: o.showAnimationDuration, hide: o.hideAnimationDuration, zoom: o.zoomAnimationDuration };
        });
        t.same(options, { type: 'none', show: 0, hide: 0, zoom: 0 });
      });

      check('a new upload appears at the top of the open album', async (t) => {
        // an album of its own with one photo: the shared album stays as the other checks expect it
        await g.album('day-live');
        const first = await g.upload(fixture('exif-orientation_2.jpg'), { caption: 'قبل' }, 'day-live');
        await g.ready(first);
        const page = await open(t, `${g.url}/ar/e/conf/day-live`);
        const strings = JSON.parse((await page.textContent('#lamha-strings'))!);
        await page.waitForFunction(() => document.getElementById('grid')?.dataset.live === 'open', null, { timeout: 15_000 });
        const added = await g.upload(fixture('exif-orientation_3.jpg'), { caption: 'صورة وصلت للتو' }, 'day-live');
        await g.ready(added);
        await page.waitForSelector(`#grid > li#a-${added}`, { timeout: 30_000 });
        t.equal(await page.$eval('#grid > li.tile', (li) => li.id), `a-${added}`, 'first in the grid');
        t.equal(await page.locator(`#a-${added}`).count(), 1, 'once');
        await page.waitForFunction((id) => {
          const img = document.querySelector<HTMLImageElement>(`#a-${id} img`);
          return !!img && img.complete && img.naturalWidth > 0;
        }, added, { timeout: 20_000 });
        await page.waitForFunction((text) => document.querySelector('[role="status"][aria-live="polite"]')?.textContent === text, strings['live.newItem']);
        t.pass('announced politely');
        t.equal(await page.locator('#grid > li.tile').count(), 2, 'the photo that was there and the new one');
        t.ok(await page.$eval(`#a-${added}`, (li) => li.classList.contains('tile--new')), 'it arrives with a short highlight');
        await screenshot(page, 'album-ar-live');
        await page.reload();
        t.equal(await page.$eval('#grid > li.tile', (li) => li.id), `a-${added}`, 'and first after a reload: the album leads with its newest upload');
      });

      check('an item that became ready late goes to its place, not to the top', async (t) => {
        const page = await open(t, albumUrl);
        await page.waitForFunction(() => document.getElementById('grid')?.dataset.live === 'open', null, { timeout: 15_000 });
        const before = await page.$$eval('#grid > li.tile', (lis) => lis.map((li) => li.id));
        t.ok(before.length >= 4, `${before.length} tiles`);
        // as if the page had been loaded while the third item was still processing
        const late = before[2]!.slice(2);
        await page.$eval(`#a-${late}`, (li) => li.remove());
        const { rows: [row] } = await g.ctx.db.query<{ eventId: string; albumId: string }>('SELECT event_id AS "eventId", album_id AS "albumId" FROM assets WHERE id = $1', [late]);
        await publishAssetReady(g.ctx.redis, g.ctx.config.redisPrefix, { eventId: row!.eventId, albumId: row!.albumId, assetId: late });
        await page.waitForSelector(`#grid > li#a-${late}`, { timeout: 15_000 });
        t.same(await page.$$eval('#grid > li.tile', (lis) => lis.map((li) => li.id)), before, 'back in its own place, third');
      });
    });

    // alone: it cuts every connection to the server
    await t.test('after a lost connection the page reconnects and gets what it missed', async (t) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      t.teardown(() => context.close());
      const page = await context.newPage();
      const own: string[] = [];
      collectErrors(page, own);
      await g.album('day-offline');
      await page.goto(`${g.url}/ar/e/conf/day-offline`);
      const strings = JSON.parse((await page.textContent('#lamha-strings'))!);
      await page.waitForFunction(() => document.getElementById('grid')?.dataset.live === 'open', null, { timeout: 15_000 });
      // one announcement first, so the browser has an event id to resume from
      const seen = await g.upload(fixture('exif-orientation_6.jpg'), { caption: 'قبل الانقطاع' }, 'day-offline');
      await g.ready(seen);
      await page.waitForSelector(`#grid > li#a-${seen}`, { timeout: 30_000 });
      // its pictures loaded first: the outage below is the live stream's, not a cut image download
      await page.waitForFunction((id) => [...document.querySelectorAll(`#a-${id} img`)].every((img) => (img as HTMLImageElement).complete), seen, { timeout: 15_000 });

      // the connection drops, and the network stays down for a while
      const live = `${g.url}/api/v1/events/conf/live`;
      await context.route(live, (route) => route.abort('internetdisconnected'));
      g.ctx.app.server.closeAllConnections();
      await page.waitForFunction(() => document.getElementById('grid')?.dataset.live === 'reconnecting', null, { timeout: 15_000 });
      await page.waitForFunction((text) => document.querySelector('[role="status"]')?.textContent === text, strings['live.reconnecting']);
      t.pass('the visitor is told the page is reconnecting');
      const missed = await g.upload(fixture('exif-orientation_8.jpg'), { caption: 'أثناء الانقطاع' }, 'day-offline');
      await g.ready(missed);
      t.equal(await page.locator(`#a-${missed}`).count(), 0, 'not there while offline');

      await context.unroute(live);
      await page.waitForSelector(`#grid > li#a-${missed}`, { timeout: 30_000 });
      t.equal(await page.$eval('#grid > li.tile', (li) => li.id), `a-${missed}`, 'the missed item arrives at the top');
      t.equal(await page.getAttribute('#grid', 'data-live'), 'open');
      t.same(own.filter((e) => !e.includes('/api/v1/events/conf/live')), [], 'no error but the refused reconnections');
    });
  });
}
