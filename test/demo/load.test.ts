/**
 * The demo loader against the real servers and the real image worker: what a new user sees
 * after `npm run demo`, and that loading it again changes nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { demoBanner, loadDemo } from '../../src/demo/load.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { runWorkers, settled } from '../helpers/workers.js';

/** What the demo is meant to hold, written out here rather than read from src/demo/content.ts: album, fixture, kind, in order. */
const EXPECTED: [album: string, file: string, kind: 'image' | 'video'][] = [
  ['day-1', 'jpeg_vivo-x90pro_gps_offsettime.jpg', 'image'],
  ['day-1', 'jpeg_canon-30d_progressive_empty-gps.jpg', 'image'],
  ['day-1', 'heic_iphone7plus_gps_rot90.heic', 'image'],
  ['day-1', 'jpeg_canon-600d_gps_iptc_xmp.jpg', 'image'],
  ['day-1', 'mp4_h264_aac_imovie.mp4', 'video'],
  ['day-2', 'heic_iphone-xs-max_gps.heic', 'image'],
  ['day-2', 'avif_iphone12pro_exif_gps.avif', 'image'],
  ['day-2', 'tiff_dji-xt2_thermal-16bit_gps.tiff', 'image'],
];

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(new URL(`../fixtures/${file}`, import.meta.url))).digest('hex');

/** Everything loading could have written: rows (with their update times), objects, gallery versions. */
async function snapshot(ctx: TestContext): Promise<unknown> {
  const q = async (sql: string) => (await ctx.db.query(sql)).rows;
  return {
    events: await q('SELECT id, slug, title, description, venue, locales, status, updated_at FROM events ORDER BY slug'),
    albums: await q('SELECT id, slug, title, caption, status, position, updated_at FROM albums ORDER BY slug'),
    assets: await q('SELECT id, album_id, kind, status, caption, credit, license, position, updated_at FROM assets ORDER BY id'),
    subtitles: await q('SELECT asset_id, locale, key, bytes FROM subtitles ORDER BY asset_id, locale'),
    tokens: await q('SELECT id, label, revoked_at FROM tokens ORDER BY id'),
    objects: (await ctx.storage.list('')).sort(),
    versions: await Promise.all([ctx.app.services.changes.version('site')]),
  };
}

t.test('loads a published demo event in three languages whose photos get ready through the worker; a second load changes nothing', async (t) => {
  const ctx = await createTestContext(t);
  runWorkers(t, ctx, ['images']);

  const demo = await loadDemo(ctx.app);
  t.ok(demo.changes > 0);
  t.equal(demo.urls.event, 'http://gallery.test/ar/e/lamha-demo');
  t.same(demo.urls.albums, { 'day-1': 'http://gallery.test/ar/e/lamha-demo/day-1', 'day-2': 'http://gallery.test/ar/e/lamha-demo/day-2' });
  t.match(demoBanner(demo), /loaded;[\s\S]*http:\/\/gallery\.test\/ar\/e\/lamha-demo\/day-2/);

  // the public sees the event and both albums, in three languages
  const event = (await ctx.app.inject({ url: '/api/v1/events/lamha-demo' })).json();
  t.match(event, { slug: 'lamha-demo', locales: ['ar', 'en', 'ku'], defaultLocale: 'ar', status: 'published' });
  for (const field of ['title', 'description', 'venue']) t.same(Object.keys(event[field]).sort(), ['ar', 'en', 'ku'], `${field} in three languages`);
  t.equal(event.venue.ar, 'باريس');
  t.same(event.albums.map((a: { slug: string }) => a.slug), ['day-1', 'day-2']);
  for (const album of event.albums) {
    t.equal(album.status, 'published', `${album.slug} published`);
    t.same(Object.keys(album.caption).sort(), ['ar', 'en', 'ku'], `${album.slug} captioned in three languages`);
  }

  // every file is there, captioned in three languages, credited and licensed
  t.same(demo.assets.map((a) => [a.album, a.file, a.kind]), EXPECTED, 'reported in the order the demo lists them');
  for (const a of demo.assets) {
    const { rows } = await ctx.db.query("SELECT encode(sha256, 'hex') AS sha FROM assets WHERE id = $1", [a.id]);
    t.equal(rows[0].sha, sha256Of(a.file), `${a.file}: the fixture's bytes were uploaded`);
  }
  for (const album of ['day-1', 'day-2']) {
    const listed = (await ctx.app.inject({ url: `/api/v1/events/lamha-demo/albums/${album}`, headers: ctx.auth(ctx.admin) })).json();
    t.same(listed.assets.map((a: { id: string }) => a.id), demo.assets.filter((a) => a.album === album).map((a) => a.id), `${album} reads in that order too`);
  }
  const photos = demo.assets.filter((a) => a.kind === 'image');
  const videos = demo.assets.filter((a) => a.kind === 'video');
  t.ok(photos.length >= 5, `${photos.length} photos`);
  t.equal(videos.length, 1, 'one video');
  for (const a of demo.assets) {
    const { rows } = await ctx.db.query('SELECT caption, credit, license FROM assets WHERE id = $1', [a.id]);
    t.same(Object.keys(rows[0].caption).sort(), ['ar', 'en', 'ku'], `${a.file}: caption in three languages`);
    t.match(rows[0].caption.ar, /[\u0600-\u06FF]/, `${a.file}: the Arabic caption is Arabic`);
    t.ok(rows[0].credit && rows[0].license, `${a.file}: credit and licence`);
  }

  // the photos become ready through the real worker, and the public can fetch them
  for (const a of photos) t.equal((await settled(ctx, a.id, 120_000)).status, 'ready', `${a.file} ready`);
  for (const [album, count] of [['day-1', photos.filter((a) => a.album === 'day-1').length], ['day-2', photos.filter((a) => a.album === 'day-2').length]] as const) {
    const page = (await ctx.app.inject({ url: `/api/v1/events/lamha-demo/albums/${album}` })).json();
    const ready = page.assets.filter((a: { kind: string }) => a.kind === 'image');
    t.equal(ready.length, count, `the public sees the ${count} photos of ${album}`);
    const rendition = ready[0].renditions['thumb.webp'].url.replace('http://gallery.test', '');
    t.equal((await ctx.app.inject({ url: rendition })).statusCode, 200, `${album}: a rendition is served`);
  }

  // the video has its Arabic and English subtitles
  const { rows: tracks } = await ctx.db.query('SELECT locale, cue_count FROM subtitles WHERE asset_id = $1 ORDER BY locale', [videos[0]!.id]);
  t.same(tracks.map((r) => r.locale), ['ar', 'en']);
  const ar = await ctx.app.inject({ url: `/api/v1/assets/${videos[0]!.id}/subtitles/ar`, headers: ctx.auth(ctx.admin) });
  t.equal(ar.statusCode, 200);
  t.match(ar.body, /^WEBVTT[\s\S]*أرنب/);

  // loading again changes nothing
  const before = await snapshot(ctx);
  const again = await loadDemo(ctx.app);
  t.equal(again.changes, 0);
  t.same(again.assets, demo.assets, 'the same assets');
  t.same(await snapshot(ctx), before, 'no row, object or gallery version changed');
  t.match(demoBanner(again), /was loaded already/);
});

t.test('a second load completes what is missing and keeps what an editor changed', async (t) => {
  const ctx = await createTestContext(t);
  const first = await loadDemo(ctx.app);
  const photo = first.assets.find((a) => a.kind === 'image')!;
  const video = first.assets.find((a) => a.kind === 'video')!;
  // an editor rewrites one caption and unpublishes day 2; a track is lost
  await ctx.db.query(`UPDATE assets SET caption = '{"en": "Edited"}' WHERE id = $1`, [photo.id]);
  await ctx.db.query(`UPDATE albums SET status = 'draft' WHERE slug = 'day-2'`);
  await ctx.db.query(`DELETE FROM subtitles WHERE asset_id = $1 AND locale = 'en'`, [video.id]);

  const second = await loadDemo(ctx.app);
  t.equal(second.changes, 3, 'the caption (two languages back), the album, the track');
  const { rows } = await ctx.db.query('SELECT caption FROM assets WHERE id = $1', [photo.id]);
  t.equal(rows[0].caption.en, 'Edited', "the editor's caption stays");
  t.same(Object.keys(rows[0].caption).sort(), ['ar', 'en', 'ku'], 'the missing languages come back');
  t.equal((await ctx.db.query(`SELECT status FROM albums WHERE slug = 'day-2'`)).rows[0].status, 'published');
  t.equal((await ctx.db.query('SELECT count(*)::int AS n FROM subtitles WHERE asset_id = $1', [video.id])).rows[0].n, 2);
});
