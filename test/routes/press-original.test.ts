/**
 * GET /api/v1/assets/:id/original: the press file, downloaded as press would, and looked at with
 * exiftool and ffmpeg. The event keeps locations, so the stored originals still carry GPS,
 * serials and owner names: the press file must lose them itself.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseDisposition } from 'content-disposition';
import t from 'tap';
import { pressPrefix } from '../../src/storage/keys.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { fixture, inspector, jpegImageData, pixelHash, privateTags, run, streamHash, tagOf, uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const { exiftool, work, file: scratch } = await inspector(t);

async function ready(ctx: TestContext, name: string, edit: Record<string, unknown>): Promise<string> {
  const { id } = await uploadOne(ctx, name);
  t.equal((await settled(ctx, id, 120_000)).status, 'ready', `${name} is ready`);
  const res = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: edit });
  if (res.statusCode !== 200) throw new Error(`edit: ${res.body}`);
  return id;
}

const CAPTION = { ar: 'افتتاح المؤتمر في القاعة الكبرى', en: 'Opening of the conference in the main hall', ku: 'Vekirina konferansê' };
const CREDIT = 'سارا أحمد';

t.jobs = 2;

t.test('a press photo: no location, serial or owner; caption in every locale, credit and event written in; the same image data', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images']);
  const name = 'jpeg_canon-600d_gps_iptc_xmp.jpg';
  const id = await ready(ctx, name, { caption: CAPTION, credit: CREDIT, license: 'CC-BY-4.0' });
  const press = await ctx.mint('press', 'conf');

  const res = await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: ctx.auth(press) });
  t.equal(res.statusCode, 200, 'press downloads it');
  t.equal(res.headers['content-type'], 'image/jpeg');
  t.equal(Number(res.headers['content-length']), res.rawPayload.length);
  t.equal(res.headers['cache-control'], 'private, no-store');
  const disposition = parseDisposition(String(res.headers['content-disposition']));
  t.equal(disposition.type, 'attachment');
  t.equal(disposition.parameters.filename, `conf_day-1_001_سارا-أحمد.jpg`, 'the Arabic credit survives in filename*');

  const file = await scratch('press.jpg', res.rawPayload);
  t.same(await privateTags(exiftool, file), [], 'no position, serial or owner');
  t.ok((await privateTags(exiftool, fixture(name))).length > 0, 'the upload had them');
  t.ok(jpegImageData(res.rawPayload).equals(jpegImageData(await readFile(fixture(name)))), "the upload's tables and scan data, byte for byte");
  t.equal(await tagOf(exiftool, file, 'ThumbnailImage'), undefined, 'no embedded thumbnail');
  t.equal(await tagOf(exiftool, file, 'IPTC:By-line'), CREDIT);
  t.equal(await tagOf(exiftool, file, 'XMP-photoshop:Credit'), CREDIT);
  t.equal(await tagOf(exiftool, file, 'IPTC:Caption-Abstract'), CAPTION.ar, "IIM: the event's default locale");
  t.equal(await tagOf(exiftool, file, 'XMP-dc:Description-ar'), CAPTION.ar);
  t.equal(await tagOf(exiftool, file, 'XMP-dc:Description-en'), CAPTION.en);
  t.equal(await tagOf(exiftool, file, 'XMP-dc:Description-ku'), CAPTION.ku);
  t.equal(await tagOf(exiftool, file, 'XMP-iptcExt:Event-en'), 'Conference');
  t.equal(await tagOf(exiftool, file, 'XMP-xmpRights:UsageTerms'), 'CC BY 4.0 (نَسب المُصنَّف 4.0 دولي)', "the licence, named in the event's default language");
  t.equal(await tagOf(exiftool, file, 'XMP-xmpRights:WebStatement'), 'https://creativecommons.org/licenses/by/4.0/deed.ar');
  t.match(String(await tagOf(exiftool, file, 'IPTC:CopyrightNotice')), /©/);
  t.equal(await tagOf(exiftool, file, 'Model'), await tagOf(exiftool, fixture(name), 'Model'), 'the camera model stays');

  // a range, and a second download from the stored press file
  const part = await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: { ...ctx.auth(press), range: 'bytes=100-199' } });
  t.equal(part.statusCode, 206);
  t.ok(part.rawPayload.equals(res.rawPayload.subarray(100, 200)));
  t.equal(part.headers.etag, res.headers.etag);
  const again = await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: { ...ctx.auth(press), 'if-none-match': String(res.headers.etag) } });
  t.equal(again.statusCode, 304);

  // an edited caption is in the next download; the outdated file is gone from the store
  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { caption: { en: 'Closing session' } } });
  const edited = await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: ctx.auth(press) });
  t.not(edited.headers.etag, res.headers.etag);
  t.equal(await tagOf(exiftool, await scratch('edited.jpg', edited.rawPayload), 'XMP-dc:Description-en'), 'Closing session');
  t.equal((await ctx.storage.list(pressPrefix(id))).length, 1, 'one press file stored');

  // deleting the asset removes its press files too
  t.ok((await ctx.storage.list('')).filter((k) => k.includes(id)).length >= 3, 'before: its original, renditions and press file');
  await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin) });
  t.same(await ctx.storage.list(pressPrefix(id)), []);
  t.same((await ctx.storage.list('')).filter((k) => k.includes(id)), [], 'no object in the bucket names the asset any more');
});

t.test('a press JPEG ends with its image: a picture appended after it is not sent', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images']);
  const canon = await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'));
  const appended = await readFile(fixture('jpeg_iphone-4s_gps.jpg'));
  const { id } = await uploadOne(ctx, 'two.jpg', Buffer.concat([canon, appended]));
  t.equal((await settled(ctx, id, 120_000)).status, 'ready');
  const res = await ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers: ctx.auth(await ctx.mint('press', 'conf')) });
  t.equal(res.statusCode, 200);
  // exiftool lists neither the appended picture nor its position: the bytes are looked for
  t.notOk(res.rawPayload.includes(appended.subarray(0, 4096)), 'the appended picture (with its GPS) is not in the press file');
  t.ok(jpegImageData(res.rawPayload).equals(jpegImageData(canon)), "the upload's own image, to its last byte");
  t.same(await privateTags(exiftool, await scratch('two-press.jpg', res.rawPayload)), []);
});

t.test('who gets the press file: press of the event for public assets, editors and admins for any ready one; never the public', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other' });
  runWorkers(t, ctx, ['images']);
  const id = await ready(ctx, 'png_rgba_alpha.png', { credit: 'Name"; filename="evil.exe' });
  const get = (headers: Record<string, string> = {}) => ctx.app.inject({ url: `/api/v1/assets/${id}/original`, headers });
  t.match((await get()).json(), { statusCode: 401, code: 'LAMHA_UNAUTHORIZED' }, 'the public');
  t.match((await get(ctx.auth(await ctx.mint('photographer', 'conf')))).json(), { statusCode: 403, code: 'LAMHA_FORBIDDEN' }, 'a photographer');
  t.match((await get(ctx.auth(await ctx.mint('press', 'other')))).json(), { statusCode: 403, code: 'LAMHA_FORBIDDEN' }, 'press of another event');
  const press = await ctx.mint('press', 'conf');
  const ok = await get(ctx.auth(press));
  t.equal(ok.statusCode, 200);
  const disposition = parseDisposition(String(ok.headers['content-disposition']));
  t.equal(disposition.parameters.filename, 'conf_day-1_001_Name-filename-evil.exe.png', 'quotes and semicolons stay inside the name');
  t.equal(Object.keys(disposition.parameters).length, 1, 'one filename parameter');

  await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { hidden: true } });
  t.match((await get(ctx.auth(press))).json(), { statusCode: 404, code: 'LAMHA_NOT_FOUND' }, 'press: a hidden asset does not exist');
  t.equal((await get(ctx.auth(await ctx.mint('editor', 'conf')))).statusCode, 200, 'its editors still get it');
  t.match((await ctx.app.inject({ url: '/api/v1/assets/00000000-0000-4000-8000-000000000000/original', headers: ctx.auth(ctx.admin) })).json(), { statusCode: 404 });
});

t.test('a press HEIC and a press video: cleaned, captioned, the same pictures', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images', 'videos']);
  const press = await ctx.mint('press', 'conf');

  const heic = await ready(ctx, 'heic_iphone-xs-max_gps.heic', { caption: CAPTION, credit: CREDIT });
  const photo = await ctx.app.inject({ url: `/api/v1/assets/${heic}/original`, headers: ctx.auth(press) });
  t.equal(photo.statusCode, 200);
  const heicFile = await scratch('press.heic', photo.rawPayload);
  t.same(await privateTags(exiftool, heicFile), []);
  t.equal(await tagOf(exiftool, heicFile, 'XMP-dc:Description-ar'), CAPTION.ar);
  t.equal(await pixelHash(heicFile, work, true), await pixelHash(fixture('heic_iphone-xs-max_gps.heic'), work, true), 'the same pixels');

  const video = await ready(ctx, 'mp4_h264_aac_gps-udta-xyz.mp4', { caption: CAPTION, credit: CREDIT });
  const clip = await ctx.app.inject({ url: `/api/v1/assets/${video}/original`, headers: ctx.auth(press) });
  t.equal(clip.statusCode, 200);
  t.equal(clip.headers['content-type'], 'video/mp4');
  const clipFile = await scratch('press.mp4', clip.rawPayload);
  t.same(await privateTags(exiftool, clipFile), []);
  t.ok((await privateTags(exiftool, fixture('mp4_h264_aac_gps-udta-xyz.mp4'))).length > 0, 'the upload had a position');
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', clipFile]);
  t.match(JSON.parse(stdout).format.tags, { title: CAPTION.ar, artist: CREDIT });
  t.equal(await streamHash(clipFile, 'v', true), await streamHash(fixture('mp4_h264_aac_gps-udta-xyz.mp4'), 'v', true), 'the same pictures');
  t.equal(await streamHash(clipFile, 'a', false), await streamHash(fixture('mp4_h264_aac_gps-udta-xyz.mp4'), 'a', false), 'the same sound');
});
