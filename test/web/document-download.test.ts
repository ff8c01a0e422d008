/// <reference lib="dom" />
/**
 * A document downloaded as a visitor does it, in Chromium: from the album's lightbox and from
 * its own page, what arrives is the PDF (its bytes checked), under its Arabic name, never the
 * JPEG of its first page.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, collectErrors, launch, screenshot } from '../browser/browser.js';
import { startGallery } from '../browser/server.js';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const CAPTION = 'البيان الختامي';

t.setTimeout(300_000);

/** Clicks `selector` and answers what the browser saved: its suggested name and bytes. */
async function downloadBy(page: Page, selector: string): Promise<{ name: string; file: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = await download.path();
  return { name: download.suggestedFilename(), file, bytes: await readFile(file) };
}

async function checkPdf(t: Test, got: { name: string; file: string; bytes: Buffer }, where: string): Promise<void> {
  t.equal(got.name, `${CAPTION}.pdf`, `${where}: saved under the caption`);
  t.equal(got.bytes.subarray(0, 5).toString('latin1'), '%PDF-', `${where}: the bytes are a PDF`);
  t.not(got.bytes.readUInt16BE(0), 0xffd8, `${where}: not a JPEG`);
  t.equal((await run('qpdf', ['--show-npages', got.file])).stdout.trim(), '5', `${where}: all five pages`);
}

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: scripts/system-deps.sh installs it`);
} else {
  t.test('the lightbox and the page download the PDF, not its preview', async (t) => {
    const g = await startGallery(t);
    const id = await g.upload(fixture('pdf_chromium_5pages_page-xmp_incremental.pdf'), { caption: CAPTION });
    await g.ready(id);
    const browser = await launch(t);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ar', acceptDownloads: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors = collectErrors(page);

    await page.goto(`${g.url}/ar/e/conf/day-1`);
    await page.waitForSelector('#grid[data-lightbox="ready"]');
    const strings = JSON.parse((await page.textContent('#lamha-strings'))!);
    await page.click(`#a-${id} .tile-link`);
    await page.waitForSelector('.pswp--open');
    const button = page.locator('.pswp__button--lamha-download');
    t.match(await button.getAttribute('href'), new RegExp(`/media/${id}/document\\.pdf\\?v=\\w+$`), 'the lightbox button links to the PDF');
    t.equal(await button.getAttribute('title'), strings['lightbox.downloadDocument'], 'and says so in Arabic');
    t.equal(await button.getAttribute('aria-label'), strings['lightbox.downloadDocument']);
    await screenshot(page, 'lightbox-document-ar');
    const fromLightbox = await downloadBy(page, '.pswp__button--lamha-download');
    await checkPdf(t, fromLightbox, 'lightbox');

    await page.goto(`${g.url}/ar/e/conf/day-1/${id}`);
    t.equal(await page.locator('.page-previews img').count(), 3, 'the page shows pages 2 to 4');
    await page.locator('.document-pages').scrollIntoViewIfNeeded();
    await screenshot(page, 'document-page-ar');
    const fromPage = await downloadBy(page, 'a.download');
    await checkPdf(t, fromPage, 'page');
    t.ok(fromPage.bytes.equals(fromLightbox.bytes), 'the same file both ways');
    t.same(errors, [], 'no script errors');
  });
}
