/** An album longer than one page: pages in display order, public assets only, links between them. */
import { parse } from 'node-html-parser';
import t from 'tap';
import { createGallery } from '../../src/services/gallery.js';
import { pageContext } from '../../src/web/context.js';
import { albumPage } from '../../src/web/pages/album.js';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from './seed.js';

t.test('an album is split into pages of public assets, with links to the next and previous', async (t) => {
  const ctx = await createTestContext(t);
  const event = await seedGalleryEvent(ctx);
  const album = await seedAlbum(ctx, event.id);
  const shown: string[] = [];
  for (let i = 0; i < 7; i++) {
    shown.push(await seedAsset(ctx, event, album));
    if (i === 2) await seedAsset(ctx, event, album, { hidden: true });
  }
  const gallery = createGallery({ db: ctx.db, pageSize: 3 });
  const pages = await Promise.all([1, 2, 3].map((n) => gallery.album('conf', 'day-1', n)));
  t.same(pages.map((p) => p!.assets.map((a) => a.id)), [shown.slice(0, 3), shown.slice(3, 6), shown.slice(6)]);
  t.same(pages.map((p) => [p!.total, p!.pageCount]), [[7, 3], [7, 3], [7, 3]]);
  t.equal(await gallery.album('conf', 'day-1', 4), null, 'past the last page');

  const ctxFor = (locale: 'en' | 'ar', path = 'e/conf/day-1') => pageContext({ locale, publicUrl: 'http://gallery.test', path, contentLocales: ['ar', 'en', 'ku'], defaultLocale: 'ar' });
  const middle = parse(albumPage(ctxFor('en', 'e/conf/day-1?page=2'), pages[1]!));
  t.equal(middle.querySelector('.pages a[rel=prev]')!.getAttribute('href'), '/en/e/conf/day-1');
  t.equal(middle.querySelector('.pages a[rel=next]')!.getAttribute('href'), '/en/e/conf/day-1?page=3');
  t.match(middle.querySelector('.pages')!.textContent, /Page 2 of 3/);
  t.equal(middle.querySelector('link[rel=canonical]')!.getAttribute('href'), 'http://gallery.test/en/e/conf/day-1?page=2');
  t.equal(middle.querySelector('.languages a[hreflang=ar]')!.getAttribute('href'), '/ar/e/conf/day-1?page=2', 'the switcher keeps the page number');
  t.equal(middle.querySelectorAll('.tile img')[0]!.getAttribute('alt'), 'Photo 4', 'numbered across pages');
  const last = parse(albumPage(ctxFor('ar'), pages[2]!));
  t.notOk(last.querySelector('.pages a[rel=next]'));
  t.match(last.querySelector('.pages')!.textContent, /الصفحة 3 من 3/);
  t.equal(last.querySelector('.pages .arrow')!.textContent, '←', 'the same glyph, mirrored by the stylesheet under dir=rtl');

  const empty = await seedAlbum(ctx, event.id, { slug: 'empty' });
  const none = await gallery.album('conf', 'empty', 1);
  t.same([none!.assets.length, none!.total, none!.pageCount], [0, 0, 1], 'an empty album has one empty page');
  t.ok(empty);
});
