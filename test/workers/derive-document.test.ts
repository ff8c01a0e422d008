/**
 * A published PDF end to end: upload through the API, the real worker (qpdf, poppler, sharp),
 * then what the public gets: the page with its previews and page count in every locale, the
 * album tile the lightbox reads, and the PDF itself, checked with exiftool, qpdf and pdftotext
 * on the downloaded bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseDisposition } from 'content-disposition';
import { ExifTool } from 'exiftool-vendored';
import { parse as parseHtml } from 'node-html-parser';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { numberFormat, TEXT } from '../../src/web/locales/index.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { runWorkers, settled } from '../helpers/workers.js';
import { writePdfWithJpeg } from '../media/pdf-maker.js';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const exiftool = new ExifTool({ maxProcs: 1 });
t.teardown(() => exiftool.end());

const STATEMENT = 'pdf_chromium_5pages_page-xmp_incremental.pdf';
const DISTILLER = 'pdf_distiller_linearized_xmp.pdf';
/**
 * What the fixtures' metadata holds (see test/fixtures/README.md): Info of every revision, the
 * document's XMP, a page's XMP and a page's PieceInfo. None of it is text of the pages.
 */
const PRIVATE: Record<string, string[]> = {
  [STATEMENT]: ['Rania', 'Samir Aziz', 'Laila Nasser', 'RANIA-LAPTOP', 'Draft v7', 'not for publication', 'HeadlessChrome', 'Skia/PDF', 'xpacket', 'PieceInfo'],
  [DISTILLER]: ['cdaily', 'Distiller', 'Microsoft Word', 'This is a test PDF file', 'xpacket'],
};

async function upload(ctx: TestContext, name: string, caption?: string): Promise<string> {
  const parts = [...(caption ? [{ name: 'caption', body: caption }] : []), { name: 'file', filename: 'statement-final-v7.pdf', body: await readFile(name.startsWith('/') ? name : fixture(name)) }];
  const form = multipart(parts);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets[0].id as string;
}

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-doc-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const pageCountOf = async (file: string) => Number((await run('qpdf', ['--show-npages', file])).stdout.trim());
const textOf = async (file: string) => (await run('pdftotext', ['-layout', file, '-'])).stdout;
const idOf = async (file: string) => /\/ID \[ <([0-9a-f]+)>/.exec((await run('qpdf', ['--show-object=trailer', file])).stdout)?.[1];

/** The download link of the asset's page, fetched as the public, with its headers and bytes. */
async function publicDownload(ctx: TestContext, id: string, locale = 'en') {
  const page = await ctx.app.inject({ url: `/${locale}/e/conf/day-1/${id}` });
  const link = parseHtml(page.body).querySelector('a.download');
  const href = link?.getAttribute('href') ?? '';
  const res = await ctx.app.inject({ url: href });
  return { page, link, href, res };
}

t.test('a published PDF downloads as a PDF without its metadata, with the same pages and text', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const dir = await tempDir(t);
  // a scan or photo put in a PDF: the camera's JPEG as it is, GPS and serial number included
  const PHOTO = path.join(dir, 'photo.pdf');
  await writePdfWithJpeg(PHOTO, await readFile(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg')), 'A photo of the venue');
  PRIVATE[PHOTO] = ['NIKON', 'D2X', 'Photoshop', 'xpacket'];
  for (const name of [STATEMENT, DISTILLER, PHOTO]) {
    const source = name === PHOTO ? PHOTO : fixture(name);
    const id = await upload(ctx, name);
    t.equal((await settled(ctx, id)).status, 'ready', name);
    const { page, href, res } = await publicDownload(ctx, id);
    const pages = await pageCountOf(source);
    const html = parseHtml(page.body);
    t.equal(html.querySelector('.document-pages .page-count')?.textContent, `Pages: ${pages}`, `${name}: the page count on its page`);
    t.equal((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json().metadata.pages, pages, `${name}: the page count in the JSON`);
    t.equal(html.querySelectorAll('.page-previews img').length, Math.min(pages, 4) - 1, `${name}: previews of the pages after the first, up to the fourth`);
    for (const img of html.querySelectorAll('.page-previews img')) {
      const preview = await ctx.app.inject({ url: img.getAttribute('src') ?? '' });
      t.equal(preview.statusCode, 200, `${name}: the preview ${img.getAttribute('src')} is served`);
      const previewFile = path.join(dir, `${id}-preview.webp`);
      await writeFile(previewFile, preview.rawPayload);
      const previewTags = Object.keys(await exiftool.read(previewFile, { readArgs: ['-G1', '-a'] }));
      t.same(previewTags.filter((k) => /^(XMP|IPTC|IFD0|ExifIFD|GPS|MakerNotes)/.test(k)), [], `${name}: a preview carries no EXIF, XMP or IPTC`);
    }
    t.match(href, new RegExp(`^/media/${id}/document\\.pdf\\?v=\\w+$`), `${name}: the page's download is the PDF`);
    t.equal(res.statusCode, 200, `${name}: the public fetches it`);
    t.equal(res.headers['content-type'], 'application/pdf');
    t.equal(res.headers['cache-control'], 'public, max-age=86400, s-maxage=55, proxy-revalidate', `${name}: cached like every versioned rendition, shared caches asking again within 60 s`);
    const file = path.join(dir, `${id}.pdf`);
    await writeFile(file, res.rawPayload);

    // -ee: also the metadata of the images inside (exiftool-vendored keeps one tag of each name)
    const tags = (await exiftool.read(file, { readArgs: ['-G1', '-a', '-ee'] })) as unknown as Record<string, unknown>;
    const leaked = Object.keys(tags).filter((k) => /^(XMP|IPTC|IFD0|ExifIFD|MakerNotes|Nikon)|GPS|Serial|:(Make|Model)$/.test(k) || /^PDF:(Author|Creator|Producer|Title|Subject|Keywords|CreateDate|ModifyDate)$/.test(k));
    t.same(leaked, [], `${name}: exiftool finds no author, creator, producer, title, dates, XMP, nor GPS or camera in its images`);
    t.equal(tags['PDF:PageCount'], pages, `${name}: exiftool counts the same pages`);

    // Earlier revisions and compressed object streams are where incremental edits hide old
    // values: search the bytes as served and fully uncompressed.
    const expanded = path.join(dir, `${id}-expanded.pdf`);
    await run('qpdf', ['--qdf', '--object-streams=disable', '--stream-data=uncompress', file, expanded]);
    const originalId = await idOf(source);
    t.ok(originalId || name === PHOTO, `${name}: the upload has a document ID`);
    for (const bytes of [res.rawPayload, await readFile(expanded)]) {
      const text = bytes.toString('latin1').toLowerCase();
      const found = [...PRIVATE[name]!, ...(originalId ? [originalId] : [])].filter((s) => text.includes(s.toLowerCase()));
      t.same(found, [], `${name}: none of the original's metadata or document ID in the bytes`);
    }
    const newId = await idOf(file);
    t.ok(newId && newId !== originalId, `${name}: a fresh document ID (${newId})`);

    t.equal(await pageCountOf(file), pages, `${name}: same page count`);
    t.equal(await textOf(file), await textOf(source), `${name}: same text on every page`);
  }
});

t.test('the document page: first pages as previews and the page count in every locale, and a PDF download on the page and in the lightbox', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const id = await upload(ctx, STATEMENT, 'البيان الختامي');
  t.equal((await settled(ctx, id)).status, 'ready');

  const { rows } = await ctx.db.query<{ name: string; type: string; width: number | null }>('SELECT name, type, width FROM renditions WHERE asset_id = $1 ORDER BY name', [id]);
  t.same(rows.map((r) => r.name), ['document.pdf', 'fallback.jpg', 'large.webp', 'medium.webp', 'page-2.webp', 'page-3.webp', 'page-4.webp', 'thumb.webp'],
    'the first page in every size, pages 2 to 4 as previews, not page 5');
  const api = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  t.equal(api.kind, 'document');
  t.match(api.renditions['document.pdf'], { type: 'application/pdf' });

  for (const locale of LOCALES) {
    const five = numberFormat(locale)(5);
    const res = await ctx.app.inject({ url: `/${locale}/e/conf/day-1/${id}` });
    t.equal(res.statusCode, 200, locale);
    const doc = parseHtml(res.body);
    t.equal(doc.querySelector('html')!.getAttribute('dir'), locale === 'ar' || locale === 'ckb' ? 'rtl' : 'ltr', `${locale}: direction`);
    const count = doc.querySelector('.document-pages .page-count')?.textContent ?? '';
    t.equal(count, TEXT[locale].strings['document.pageCount'].replace('{n}', five), `${locale}: the page count "${count}"`);
    const previews = doc.querySelectorAll('.page-previews img');
    t.same(previews.map((img) => /\/media\/[^/]+\/(page-\d\.webp)\?v=\w+$/.exec(img.getAttribute('src') ?? '')?.[1]), ['page-2.webp', 'page-3.webp', 'page-4.webp'], `${locale}: previews of pages 2–4`);
    t.ok(previews.every((img) => (img.getAttribute('alt') ?? '').includes(five)), `${locale}: each preview says which page of how many`);
    t.ok(doc.querySelector('img.photo')?.getAttribute('src')?.includes('/medium.webp?'), `${locale}: the first page as the picture`);
    const link = doc.querySelector('a.download')!;
    t.match(link.getAttribute('href'), new RegExp(`^/media/${id}/document\\.pdf\\?v=\\w+$`), `${locale}: the download is the PDF`);
    t.notMatch(link.getAttribute('href'), /\.(jpe?g|webp)\b/, `${locale}: never a picture`);
    t.equal(link.getAttribute('download'), 'البيان الختامي.pdf', `${locale}: named after the caption in the event's language`);
  }

  // The lightbox takes its download from the tile (data-download); a browser test of the lightbox
  // itself is test/browser.
  const grid = parseHtml((await ctx.app.inject({ url: `/ar/e/conf/day-1` })).body);
  const tile = grid.querySelector(`#a-${id} a.tile-link`)!;
  t.match(tile.getAttribute('data-download'), new RegExp(`^/media/${id}/document\\.pdf\\?v=\\w+$`), 'the lightbox downloads the PDF');
  t.equal(tile.getAttribute('data-download-name'), 'البيان الختامي.pdf');
  t.match(tile.getAttribute('data-pswp-src'), /large\.webp/, 'and shows the first page');
});

t.test('the PDF is saved under its caption: an Arabic name arrives whole, quotes, semicolons and line breaks cannot add to the header', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const id = await upload(ctx, DISTILLER, 'البيان الختامي');
  t.equal((await settled(ctx, id)).status, 'ready');
  const first = await publicDownload(ctx, id);
  const header = String(first.res.headers['content-disposition']);
  t.match(header, /^attachment;/, 'saved, not opened in the site\'s origin');
  t.match(header, new RegExp(`; filename=conf-${id.slice(0, 8)}\\.pdf; filename\\*=UTF-8''%D8%A7%D9%84`), 'an ASCII fallback and the RFC 8187 name');
  t.same(parseDisposition(header).parameters, { filename: 'البيان الختامي.pdf' }, 'read back, the Arabic name whole');

  const hostile = 'a"; filename="evil.exe\r\nSet-Cookie: x=1;\nX-Evil: 1';
  await ctx.db.query('UPDATE assets SET caption = $2 WHERE id = $1', [id, { ar: hostile }]);
  const res = await ctx.app.inject({ url: first.href });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['set-cookie'], undefined, 'no header added');
  t.equal(res.headers['x-evil'], undefined, 'no header added');
  const raw = String(res.headers['content-disposition']);
  t.notMatch(raw, /[\r\n"]/, 'no line break or quote in the header');
  const parsed = parseDisposition(raw);
  t.equal(parsed.type, 'attachment');
  t.same(parsed.parameters, { filename: 'a"; filename="evil.exe Set-Cookie: x=1; X-Evil: 1.pdf' }, 'no parameter added: the caption stays inside the name, its line breaks made spaces');
});

t.test('an unpublished or hidden document, and its PDF and previews, are not reachable by the public', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const id = await upload(ctx, STATEMENT);
  t.equal((await settled(ctx, id)).status, 'ready');
  const urls = ['document.pdf', 'page-2.webp', 'fallback.jpg'].map((n) => `/media/${id}/${n}`);
  const publicStatus = async () => Promise.all([`/en/e/conf/day-1/${id}`, ...urls].map(async (url) => (await ctx.app.inject({ url })).statusCode));
  t.same(await publicStatus(), [200, 200, 200, 200], 'published: the page, the PDF and the previews');

  const edit = async (url: string, payload: object) => {
    const res = await ctx.app.inject({ method: 'PATCH', url, headers: ctx.auth(ctx.admin), payload });
    t.equal(res.statusCode, 200, `${url} ${JSON.stringify(payload)}`);
  };
  await edit(`/api/v1/assets/${id}`, { hidden: true });
  t.same(await publicStatus(), [404, 404, 404, 404], 'hidden');
  const insider = await ctx.app.inject({ url: urls[0]!, headers: ctx.auth(ctx.admin) });
  t.equal(insider.statusCode, 200, 'the event\'s own people still reach it');
  t.equal(insider.headers['cache-control'], 'private, no-store');

  await edit(`/api/v1/assets/${id}`, { hidden: false });
  await edit('/api/v1/events/conf/albums/day-1', { status: 'draft' });
  t.same(await publicStatus(), [404, 404, 404, 404], 'in an unpublished album');
  await edit('/api/v1/events/conf/albums/day-1', { status: 'published' });
  await edit('/api/v1/events/conf', { status: 'draft' });
  t.same(await publicStatus(), [404, 404, 404, 404], 'in an unpublished event');
});
