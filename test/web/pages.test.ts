/** The gallery's HTML as visitors and share previews see it, through app.inject. */
import { parse, type HTMLElement } from 'node-html-parser';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from './seed.js';

async function page(ctx: TestContext, url: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.inject({ url, headers });
  return { res, doc: parse(res.body) };
}

function attr(doc: HTMLElement, selector: string, name: string): string | undefined {
  return doc.querySelector(selector)?.getAttribute(name);
}

async function gallery(t: Parameters<typeof createTestContext>[0]) {
  const ctx = await createTestContext(t);
  const event = await seedGalleryEvent(ctx); // ar (default), en, ku; published
  const album = await seedAlbum(ctx, event.id);
  return { ctx, event, album };
}

t.test('every locale renders with its language and direction: ar and ckb right to left', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album, { caption: { ar: 'افتتاح', en: 'Opening' } });
  for (const locale of LOCALES) {
    for (const path of ['', 'e/conf', 'e/conf/day-1', `e/conf/day-1/${asset}`]) {
      const { res, doc } = await page(ctx, `/${locale}/${path}`);
      t.equal(res.statusCode, 200, `/${locale}/${path}`);
      const root = doc.querySelector('html')!;
      t.equal(root.getAttribute('lang'), locale);
      t.equal(root.getAttribute('dir'), locale === 'ar' || locale === 'ckb' ? 'rtl' : 'ltr', `${locale} direction`);
      t.match(attr(doc, 'link[rel=stylesheet]', 'href'), /^\/static\/gallery\.css\?v=[0-9a-f]{12}$/, 'a versioned stylesheet URL (cached as immutable)');
      t.match(attr(doc, 'script[type=module]', 'src'), /^\/static\/gallery\.js\?v=[0-9a-f]{12}$/, 'a versioned script URL');
      const strings = JSON.parse(doc.querySelector('#lamha-strings')!.textContent);
      t.ok(strings['lightbox.close'] && strings['live.newItem'], 'client strings present');
      t.ok(doc.querySelector('a.skip[href="#main"]') && doc.querySelector('main#main'), 'skip link to the main landmark');
    }
  }
  const ckb = (await page(ctx, '/ckb/e/conf/day-1')).doc;
  t.equal(ckb.querySelector('.count')!.textContent, 'وێنە و ڤیدیۆ: ١', 'Sorani counts in its own digits, like its dates');
  t.equal(ckb.querySelector('.languages [aria-current]')!.getAttribute('lang'), 'ckb');
  const ar = (await page(ctx, '/ar/e/conf')).doc;
  t.equal(ar.querySelector('.languages [aria-current]')!.textContent, 'العربية');
  t.match(ar.querySelector('.facts dd')!.textContent, /ديسمبر/, 'Arabic dates');
});

t.test('the language switcher keeps the page', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album);
  const { doc } = await page(ctx, `/en/e/conf/day-1/${asset}`);
  const links = doc.querySelectorAll('.languages a').map((a) => a.getAttribute('href'));
  t.same(links, LOCALES.map((l) => `/${l}/e/conf/day-1/${asset}`));
});

t.test('a caption missing in the visitor’s language falls back to the event’s default, marked with its lang and dir', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const both = await seedAsset(ctx, event, album, { caption: { ar: 'المتحدثون', en: 'The speakers' } });
  const arabicOnly = await seedAsset(ctx, event, album, { caption: { ar: 'الجلسة الثانية' } });
  const { doc } = await page(ctx, '/en/e/conf/day-1');
  const own = doc.querySelector(`#c-${both} .caption`)!;
  t.equal(own.textContent, 'The speakers');
  t.equal(own.getAttribute('lang'), 'en');
  t.equal(own.getAttribute('dir'), 'ltr');
  const fallback = doc.querySelector(`#c-${arabicOnly} .caption`)!;
  t.equal(fallback.textContent, 'الجلسة الثانية');
  t.equal(fallback.getAttribute('lang'), 'ar');
  t.equal(fallback.getAttribute('dir'), 'rtl');
  t.equal(doc.querySelector('html')!.getAttribute('dir'), 'ltr', 'the page stays English');
  // The permalink too, and the fallback album title in the heading.
  const permalink = (await page(ctx, `/ku/e/conf/day-1/${arabicOnly}`)).doc;
  t.equal(permalink.querySelector('figcaption .caption')!.getAttribute('lang'), 'ar');
  t.equal(permalink.querySelector('figcaption .caption')!.getAttribute('dir'), 'rtl');
});

t.test('a locale the event does not have renders in the visitor’s interface language, with canonical to the default', async (t) => {
  const { ctx, event, album } = await gallery(t);
  await seedAsset(ctx, event, album, { caption: { ar: 'الافتتاح' } });
  const { res, doc } = await page(ctx, '/fr/e/conf/day-1');
  t.equal(res.statusCode, 200);
  t.equal(doc.querySelector('html')!.getAttribute('lang'), 'fr');
  t.equal(doc.querySelector('.count')!.textContent, 'Photos et vidéos : 1');
  t.equal(doc.querySelector('h1')!.getAttribute('lang'), 'ar');
  t.equal(attr(doc, 'link[rel=canonical]', 'href'), 'http://gallery.test/ar/e/conf/day-1');
  t.notOk(doc.querySelector('link[hreflang=fr]'), 'no French alternate: the event has no French text');
});

t.test('captions and titles are text, never markup', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const evil = '<script>alert(1)</script>';
  await ctx.db.query('UPDATE albums SET title = $1, caption = $1 WHERE id = $2', [{ ar: evil, en: `"><img src=x onerror=alert(2)>` }, album.id]);
  const asset = await seedAsset(ctx, event, album, { caption: { en: evil }, credit: '<b>bold</b>', license: `' onmouseover='x` });
  for (const url of ['/en/e/conf/day-1', `/en/e/conf/day-1/${asset}`, `/ar/e/conf/day-1`, `/en/e/conf/day-1/${asset}/tile`]) {
    const { res, doc } = await page(ctx, url);
    t.equal(res.statusCode, 200, url);
    t.notMatch(res.body, /<script>alert/, `${url}: no script element from data`);
    t.notMatch(res.body, /<img src=x/, `${url}: no injected element`);
    t.notMatch(res.body, /<b>bold/, `${url}: credit escaped`);
    t.equal(doc.querySelectorAll('script').length, url.endsWith('/tile') ? 0 : 2, `${url}: only Lamha’s own scripts`);
    t.equal(doc.querySelectorAll('img').filter((i) => i.getAttribute('onerror')).length, 0);
  }
  const { doc } = await page(ctx, `/en/e/conf/day-1/${asset}`);
  t.equal(doc.querySelector('figcaption .caption')!.textContent, evil, 'shown as the text it is');
  t.equal(doc.querySelector('figcaption .license')!.textContent.includes(`' onmouseover='x`), true);
  t.equal(doc.querySelector('img.photo')!.getAttribute('alt'), evil);
});

t.test('hidden, unfinished, unpublished and misplaced things are 404 with a localized page', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const shown = await seedAsset(ctx, event, album);
  const hidden = await seedAsset(ctx, event, album, { hidden: true, caption: { en: 'secret hidden' } });
  const processing = await seedAsset(ctx, event, album, { status: 'processing', caption: { en: 'secret processing' } });
  const failed = await seedAsset(ctx, event, album, { status: 'failed' });
  const draftAlbum = await seedAlbum(ctx, event.id, { slug: 'backstage', status: 'draft', title: { en: 'secret album' } });
  const inDraftAlbum = await seedAsset(ctx, event, draftAlbum);
  const other = await seedAlbum(ctx, event.id, { slug: 'day-2' });
  const draftEvent = await seedGalleryEvent(ctx, { slug: 'planning', status: 'draft', title: { en: 'secret event' } });
  const draftEventAlbum = await seedAlbum(ctx, draftEvent.id);
  const inDraftEvent = await seedAsset(ctx, draftEvent, draftEventAlbum);

  const grid = (await page(ctx, '/en/e/conf/day-1')).doc;
  t.same(grid.querySelectorAll('.tile').map((li) => li.getAttribute('data-asset-id')), [shown], 'only the public asset in the grid');
  const eventPage = await page(ctx, '/en/e/conf');
  t.notMatch(eventPage.res.body, /secret album/);
  t.notMatch((await page(ctx, '/en/')).res.body, /secret event/);

  const missing = [
    `/en/e/conf/day-1/${hidden}`, `/en/e/conf/day-1/${processing}`, `/en/e/conf/day-1/${failed}`, `/en/e/conf/day-1/${hidden}/tile`,
    '/en/e/conf/backstage', `/en/e/conf/backstage/${inDraftAlbum}`, `/en/e/conf/day-2/${shown}`,
    '/en/e/planning', '/en/e/planning/day-1', `/en/e/planning/day-1/${inDraftEvent}`,
    '/en/e/nothing', '/en/e/conf/nothing', '/en/e/conf/day-1/not-a-uuid', '/en/e/conf/day-1?page=2', '/en/e/conf/day-1?page=x',
    '/en/no/such/page',
  ];
  for (const url of missing) {
    const { res } = await page(ctx, url);
    t.equal(res.statusCode, 404, url);
    t.notMatch(res.body, /secret/, `${url}: nothing of it shown`);
  }
  t.ok(other);
  const ar = await page(ctx, `/ar/e/conf/day-1/${hidden}`);
  t.equal(ar.res.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(ar.doc.querySelector('h1')!.textContent, 'الصفحة غير موجودة');
  t.equal(ar.doc.querySelector('html')!.getAttribute('dir'), 'rtl');
  t.equal(attr(ar.doc, 'meta[name=robots]', 'content'), 'noindex');
  t.notOk(ar.doc.querySelector('link[rel=canonical]'), 'an error page names no canonical');
  const ckb = await page(ctx, '/ckb/whatever');
  t.equal(ckb.res.statusCode, 404);
  t.equal(ckb.doc.querySelector('h1')!.textContent, 'پەڕەکە نەدۆزرایەوە');
});

t.test('a path outside every language: the 404 page in the browser\'s language, JSON for the API and for non-browsers', async (t) => {
  const { ctx } = await gallery(t);
  const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
  const ar = await page(ctx, '/de/e/conf', { ...browser, 'accept-language': 'ar-SY,ar;q=0.9' });
  t.equal(ar.res.statusCode, 404);
  t.equal(ar.res.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(ar.doc.querySelector('html')!.getAttribute('lang'), 'ar');
  t.equal(ar.doc.querySelector('html')!.getAttribute('dir'), 'rtl');
  t.equal(ar.doc.querySelector('h1')!.textContent, 'الصفحة غير موجودة');
  t.match(String(ar.res.headers.vary), /Accept-Language/);
  const en = await page(ctx, '/nothing-here', browser);
  t.equal(en.res.statusCode, 404);
  t.equal(en.doc.querySelector('html')!.getAttribute('lang'), 'en', 'English when the browser names no language Lamha speaks');
  t.equal(en.res.headers['content-encoding'], undefined, 'as the client accepts it');

  for (const [url, headers] of [['/nothing-here', {}], ['/api/v1/nothing', browser], ['/media/nothing', browser], ['/static/nothing.js', browser]] as const) {
    const res = await ctx.app.inject({ url, headers });
    t.equal(res.statusCode, 404, url);
    t.match(res.headers['content-type'], /^application\/json/, `${url}: JSON`);
    t.equal(res.json().code, 'LAMHA_NOT_FOUND', url);
  }
  const post = await ctx.app.inject({ method: 'POST', url: '/nothing-here', headers: browser });
  t.equal(post.statusCode, 404);
  t.match(post.headers['content-type'], /^application\/json/, 'only GET and HEAD get the page');
});

t.test('/ sends the visitor to the language their browser asks for', async (t) => {
  const { ctx } = await gallery(t);
  const cases: [string | undefined, string][] = [
    ['ar-SY,ar;q=0.9,en;q=0.8', '/ar/'], ['ckb-IQ,ckb;q=0.9', '/ckb/'], ['ku', '/ku/'], ['fr-CA,fr;q=0.9,en;q=0.5', '/fr/'],
    ['de-DE,en;q=0.3', '/en/'], ['de-DE', '/en/'], ['*', '/en/'], [undefined, '/en/'],
  ];
  for (const [header, location] of cases) {
    const res = await ctx.app.inject({ url: '/', headers: header ? { 'accept-language': header } : {} });
    t.equal(res.statusCode, 302, String(header));
    t.equal(res.headers.location, location, String(header));
    t.match(String(res.headers.vary), /Accept-Language/i);
  }
});

t.test('hreflang alternates, canonical URL and share tags', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album, { caption: { en: 'Opening speech', ar: 'كلمة الافتتاح' }, altText: { en: 'A woman at a lectern' } });
  const { doc } = await page(ctx, `/en/e/conf/day-1/${asset}`);
  const alternates = Object.fromEntries(doc.querySelectorAll('link[rel=alternate]').map((l) => [l.getAttribute('hreflang'), l.getAttribute('href')]));
  t.same(alternates, {
    ar: `http://gallery.test/ar/e/conf/day-1/${asset}`,
    en: `http://gallery.test/en/e/conf/day-1/${asset}`,
    ku: `http://gallery.test/ku/e/conf/day-1/${asset}`,
    'x-default': `http://gallery.test/ar/e/conf/day-1/${asset}`,
  });
  t.equal(attr(doc, 'link[rel=canonical]', 'href'), `http://gallery.test/en/e/conf/day-1/${asset}`);
  const meta = (p: string) => doc.querySelector(`meta[property="${p}"]`)?.getAttribute('content') ?? doc.querySelector(`meta[name="${p}"]`)?.getAttribute('content');
  t.equal(meta('og:title'), 'Opening speech');
  t.equal(meta('og:description'), 'Opening speech');
  t.equal(meta('og:url'), `http://gallery.test/en/e/conf/day-1/${asset}`);
  t.match(meta('og:image'), new RegExp(`^http://gallery\\.test/media/${asset}/fallback\\.jpg\\?v=`));
  t.equal(meta('og:image:type'), 'image/jpeg');
  t.equal(meta('og:image:width'), '1200');
  t.equal(meta('og:image:height'), '800');
  t.equal(meta('og:image:alt'), 'A woman at a lectern');
  t.equal(meta('twitter:card'), 'summary_large_image');
  t.equal(meta('twitter:image'), meta('og:image'));
  t.equal(meta('og:locale'), 'en_GB');
  const sorani = (await page(ctx, '/ckb/e/conf')).doc;
  t.equal(sorani.querySelector('meta[property="og:locale"]')!.getAttribute('content'), 'cb_IQ', 'Sorani as Facebook names it');

  for (const url of ['/ar/e/conf', '/ar/e/conf/day-1']) {
    const d = (await page(ctx, url)).doc;
    t.equal(d.querySelector('meta[property="og:title"]')!.getAttribute('content'), url.endsWith('day-1') ? 'اليوم الأول' : 'مؤتمر المجتمع المدني');
    t.match(d.querySelector('meta[property="og:image"]')!.getAttribute('content'), /fallback\.jpg\?v=/, `${url}: share image`);
    t.equal(d.querySelector('link[rel=canonical]')!.getAttribute('href'), `http://gallery.test${url}`);
  }
  const list = (await page(ctx, '/ku/')).doc;
  t.equal(list.querySelector('link[hreflang=x-default]')!.getAttribute('href'), 'http://gallery.test/', 'the list’s x-default is the language picker');
  t.equal(list.querySelectorAll('link[rel=alternate]').length, LOCALES.length + 1);
});

t.test('an asset derived before the fallback was renamed keeps its 2048 px large.jpg as share image and download', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album, { legacyFallback: true, caption: { en: 'Opening speech' } });
  const { doc } = await page(ctx, `/en/e/conf/day-1/${asset}`);
  const meta = (p: string) => doc.querySelector(`meta[property="${p}"]`)?.getAttribute('content');
  t.match(meta('og:image'), new RegExp(`^http://gallery\\.test/media/${asset}/large\\.jpg\\?v=`));
  t.same([meta('og:image:type'), meta('og:image:width'), meta('og:image:height')], ['image/jpeg', '2048', '1365']);
  t.match(doc.querySelector('a.download')!.getAttribute('href'), new RegExp(`^/media/${asset}/large\\.jpg\\?v=`));
});

t.test('album grid: srcset over the renditions, width and height, placeholder colour, lazy below the fold, alt text', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const ids: string[] = [];
  ids.push(await seedAsset(ctx, event, album, { altText: { en: 'Alt words' }, caption: { en: 'Caption words' } }));
  ids.push(await seedAsset(ctx, event, album, { caption: { en: 'Caption only' }, width: 2000, height: 3000 }));
  for (let i = 0; i < 9; i++) ids.push(await seedAsset(ctx, event, album));
  const video = await seedAsset(ctx, event, album, { kind: 'video', subtitles: ['ar', 'en'] });
  const { doc } = await page(ctx, '/en/e/conf/day-1');
  const imgs = doc.querySelectorAll('#grid .tile img');
  t.equal(imgs.length, 12);
  const first = imgs[0]!;
  t.same(first.getAttribute('srcset')!.split(', ').map((c) => c.replace(/\?v=\w+/, '').replace(/^.*\/media\/[^/]+\//, '')), ['thumb.webp 400w', 'medium.webp 1024w', 'large.webp 2048w']);
  t.match(first.getAttribute('src'), /\/medium\.webp\?v=/);
  t.ok(first.getAttribute('sizes'));
  t.equal(first.getAttribute('width'), '2048');
  t.equal(first.getAttribute('height'), '1365');
  t.equal(first.getAttribute('alt'), 'Alt words');
  t.match(first.getAttribute('data-thumbhash'), /^[A-Za-z0-9+/]+=*$/);
  t.match(first.getAttribute('style'), /^background-color:#[0-9a-f]{6}$/);
  const [r, g, b] = first.getAttribute('style')!.match(/#(..)(..)(..)/)!.slice(1).map((h) => parseInt(h, 16));
  t.ok(r! > 150 && g! < 90 && b! < 90, 'the average colour of the red placeholder is red');
  const portrait = imgs[1]!;
  t.equal(portrait.getAttribute('width'), '1365');
  t.equal(portrait.getAttribute('height'), '2048');
  t.equal(portrait.getAttribute('alt'), 'Caption only');
  t.equal(imgs[2]!.getAttribute('alt'), 'Photo 3', 'a generic label in the visitor’s language');
  t.same(imgs.map((i) => i.getAttribute('loading')), [...Array(8).fill('eager'), ...Array(4).fill('lazy')]);
  t.same(imgs.map((i) => i.getAttribute('fetchpriority') ?? null), [...Array(2).fill('high'), ...Array(10).fill(null)]);
  const tile = doc.querySelector(`#a-${ids[1]}`)!;
  t.equal(tile.getAttribute('style'), '--w:1365;--h:2048');
  t.equal(tile.getAttribute('data-kind'), 'image');
  const link = tile.querySelector('a.tile-link')!;
  t.equal(link.getAttribute('href'), `/en/e/conf/day-1/${ids[1]}`);
  t.match(link.getAttribute('data-pswp-src'), /large\.webp\?v=/);
  t.match(link.getAttribute('data-download'), /fallback\.jpg\?v=/);
  t.equal(link.getAttribute('data-download-name'), `conf-${ids[1]!.slice(0, 8)}.jpg`);
  t.equal(tile.getAttribute('data-place'), undefined, 'grid tiles carry no place: their order is it');
  const fragment = parse((await ctx.app.inject({ url: `/en/e/conf/day-1/${ids[1]}/tile` })).body);
  t.equal(fragment.querySelector('li.tile')!.getAttribute('data-place'), '2', 'a tile fetched alone names its place for the live view');
  const grid = doc.querySelector('#grid')!;
  t.equal(grid.getAttribute('data-tile-url'), '/en/e/conf/day-1/{assetId}/tile');
  t.equal(grid.getAttribute('data-live-url'), '/api/v1/events/conf/live');
  t.equal(grid.getAttribute('data-album-id'), album.id);
  const v = doc.querySelector(`#a-${video} a.tile-link`)!;
  t.match(v.getAttribute('data-hls'), /hls\/master\.m3u8\?v=/);
  t.match(v.getAttribute('data-mp4'), /download\.mp4\?v=/);
  t.match(v.getAttribute('data-storyboard'), /storyboard\.vtt\?v=/);
  t.same(JSON.parse(v.getAttribute('data-subtitles')!).map((s: { srclang: string; dir: string }) => [s.srclang, s.dir]), [['ar', 'rtl'], ['en', 'ltr']]);
  t.equal(v.querySelector('img')!.getAttribute('alt'), 'Video 12');
});

t.test('permalink of a video: player with poster, MP4 source, subtitle tracks and download', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const video = await seedAsset(ctx, event, album, { kind: 'video', subtitles: ['ar', 'ku'], caption: { ar: 'نقاش' }, credit: 'Lamha team', license: 'CC BY 4.0', capturedAt: '2026-12-01T10:00:00Z' });
  const { doc } = await page(ctx, `/ar/e/conf/day-1/${video}`);
  const player = doc.querySelector('video.player')!;
  t.ok(player.hasAttribute('controls') && player.hasAttribute('playsinline'));
  t.match(player.getAttribute('poster'), /medium\.webp\?v=/);
  t.match(player.getAttribute('data-hls'), /hls\/master\.m3u8/);
  t.match(player.querySelector('source[type="video/mp4"]')!.getAttribute('src'), /download\.mp4/);
  const tracks = player.querySelectorAll('track');
  t.same(tracks.map((tr) => [tr.getAttribute('srclang'), tr.getAttribute('label')]), [['ar', 'العربية'], ['ku', 'Kurmancî']]);
  t.ok(tracks[0]!.hasAttribute('default'), 'the visitor’s language is the default track');
  t.match(doc.querySelector('a.download')!.getAttribute('href'), /download\.mp4/);
  t.equal(doc.querySelector('a.download')!.getAttribute('download'), `conf-${video.slice(0, 8)}.mp4`);
  t.match(doc.querySelector('.credit')!.textContent, /Lamha team/);
  t.match(doc.querySelector('.license')!.textContent, /CC BY 4\.0/);
  t.match(doc.querySelector('.captured time')!.textContent, /ديسمبر/);
});

t.test('the tile fragment is the grid’s tile', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const id = await seedAsset(ctx, event, album, { caption: { ar: 'وصول المشاركين' } });
  const fragment = await ctx.app.inject({ url: `/ar/e/conf/day-1/${id}/tile` });
  t.equal(fragment.statusCode, 200);
  t.match(fragment.headers['content-type'], /text\/html/);
  // What the tile must hold, from the seeded row (3000×2000, its largest rendition 2048×1365)
  // and the URL scheme, not from the code that renders it.
  const doc = parse(fragment.body);
  t.equal(doc.querySelectorAll('li').length, 1, 'one tile and nothing else');
  const li = doc.querySelector('li')!;
  t.same([li.id, li.getAttribute('class'), li.getAttribute('data-asset-id'), li.getAttribute('data-kind'), li.getAttribute('data-place'), li.getAttribute('style')],
    [`a-${id}`, 'tile tile--image', id, 'image', '1', '--w:2048;--h:1365']);
  const link = li.querySelector('a.tile-link')!;
  t.equal(link.getAttribute('href'), `/ar/e/conf/day-1/${id}`);
  t.match(link.getAttribute('data-pswp-src'), new RegExp(`^/media/${id}/large\\.webp\\?v=\\w+$`));
  t.same([link.getAttribute('data-pswp-width'), link.getAttribute('data-pswp-height')], ['2048', '1365']);
  t.match(link.getAttribute('data-download'), new RegExp(`^/media/${id}/fallback\\.jpg\\?v=\\w+$`));
  t.equal(link.getAttribute('data-download-name'), `conf-${id.slice(0, 8)}.jpg`);
  const img = link.querySelector('img')!;
  t.same([img.getAttribute('width'), img.getAttribute('height'), img.getAttribute('alt')], ['2048', '1365', 'وصول المشاركين'], 'the caption is the alt text');
  t.match(img.getAttribute('src'), new RegExp(`^/media/${id}/medium\\.webp\\?v=\\w+$`));
  t.equal(img.getAttribute('fetchpriority'), undefined, 'inserted live: not fetched at high priority');
  t.equal(li.querySelector(`#c-${id} .caption`)!.textContent.trim(), 'وصول المشاركين');

  const grid = (await page(ctx, '/ar/e/conf/day-1')).doc;
  // The only tile of the album is its first: fetched at high priority in the grid, not when
  // inserted live; alone, it names its place.
  t.equal(doc.querySelector('li.tile')!.toString(),
    grid.querySelector(`#a-${id}`)!.toString().replace(' fetchpriority="high"', '').replace(' style=', ' data-place="1" style='));
});

t.test('album covers are public assets only: a hidden chosen cover gives way to the first public one', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const first = await seedAsset(ctx, event, album);
  const chosen = await seedAsset(ctx, event, album, { hidden: true });
  await ctx.db.query('UPDATE albums SET cover_asset_id = $1 WHERE id = $2', [chosen, album.id]);
  const { doc } = await page(ctx, '/en/e/conf');
  const cover = doc.querySelector('.cards img.cover')!;
  t.match(cover.getAttribute('src'), new RegExp(`/media/${first}/`));
  t.notMatch(doc.toString(), new RegExp(chosen));
  t.match(doc.querySelector('meta[property="og:image"]')!.getAttribute('content'), new RegExp(`/media/${first}/fallback\\.jpg`));
  t.equal(doc.querySelector('.cards .count')!.textContent, 'Photos and videos: 1', 'the count is of what the public sees');
  const list = (await page(ctx, '/en')).doc;
  t.match(list.querySelector('.cards img.cover')!.getAttribute('src'), new RegExp(`/media/${first}/`), '/en works without its slash');
  t.equal(list.querySelector('link[rel=canonical]')!.getAttribute('href'), 'http://gallery.test/en/');
});

t.test('page 2 of an album through HTTP: its own canonical URL, and a stray page number is a 404', async (t) => {
  const { ctx, event, album } = await gallery(t);
  await seedAsset(ctx, event, album);
  const first = await page(ctx, '/en/e/conf/day-1?page=1');
  t.equal(first.res.statusCode, 200);
  t.equal(attr(first.doc, 'link[rel=canonical]', 'href'), 'http://gallery.test/en/e/conf/day-1');
  t.equal((await page(ctx, '/en/e/conf/day-1?page=2')).res.statusCode, 404, 'one photo makes one page');
  t.equal((await page(ctx, '/en/e/conf/day-1?page=0')).res.statusCode, 404);
});

t.test('the HTML pages stay out of the API’s OpenAPI document', async (t) => {
  const { ctx } = await gallery(t);
  const doc = (await ctx.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
  t.same(Object.keys(doc.paths).filter((p) => /^\/(ar|en|ku|ckb|fr)?\/?(e\/|$)/.test(p) || p === '/'), []);
  t.ok(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/events')), 'the API is still there');
});

t.test('an event or album without any title text is named by its slug rather than failing', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album);
  await ctx.db.query(`UPDATE events SET title = '{}' WHERE id = $1`, [event.id]);
  await ctx.db.query(`UPDATE albums SET title = '{"en": "  "}' WHERE id = $1`, [album.id]);
  for (const url of ['/en/', '/en/e/conf', '/en/e/conf/day-1', `/en/e/conf/day-1/${asset}`]) {
    const { res, doc } = await page(ctx, url);
    t.equal(res.statusCode, 200, url);
    if (url !== '/en/') t.match(doc.querySelector('.crumbs')!.textContent, /conf/, `${url}: the event's slug`);
  }
  t.equal((await page(ctx, '/en/e/conf/day-1')).doc.querySelector('h1')!.textContent, 'day-1');
});

t.test('a link with a trailing slash leads to the page without it', async (t) => {
  const { ctx, event, album } = await gallery(t);
  const asset = await seedAsset(ctx, event, album);
  const res = await ctx.app.inject({ url: '/en/e/conf/day-1/?page=1' });
  t.equal(res.statusCode, 301);
  t.equal(res.headers.location, '/en/e/conf/day-1?page=1');
  t.equal((await ctx.app.inject({ url: `/ar/e/conf/day-1/${asset}/` })).headers.location, `/ar/e/conf/day-1/${asset}`);
  t.equal((await ctx.app.inject({ url: '/en//evil.example/' })).headers.location, '/en//evil.example', 'stays on this site');
  t.equal((await ctx.app.inject({ url: '/en/' })).statusCode, 200);
  t.equal((await ctx.app.inject({ url: '/en/nothing' })).statusCode, 404);
});

t.test('the venue in the visitor\'s language, else the event\'s own, marked with its language', async (t) => {
  const { ctx } = await gallery(t);
  const en = (await page(ctx, '/en/e/conf')).doc;
  t.equal(en.querySelector('.facts div:nth-child(2) dd')!.textContent, 'Paris');
  const ku = (await page(ctx, '/ku/e/conf')).doc;
  const dd = ku.querySelector('.facts div:nth-child(2) dd')!;
  t.equal(dd.textContent, 'باريس', 'no Kurmanji venue: the default locale\'s');
  t.equal(dd.getAttribute('lang'), 'ar');
  t.equal(dd.getAttribute('dir'), 'rtl');
  const list = (await page(ctx, '/en/')).doc;
  t.equal(list.querySelector('.card .venue')!.textContent, 'Paris');
});
