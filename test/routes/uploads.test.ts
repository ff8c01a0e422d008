import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { aviWithGab2, ftypBox } from '../helpers/exploits.js';
import { filePart, multipart, type FormPart } from '../helpers/multipart.js';
import { s3Lane } from '../helpers/s3.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const URL_ = '/api/v1/events/conf/albums/day-1/assets';

async function upload(ctx: TestContext, token: string, parts: FormPart[]) {
  const form = multipart(parts);
  const res = await ctx.app.inject({ method: 'POST', url: URL_, headers: { ...ctx.auth(token), ...form.headers }, payload: form.body });
  return { statusCode: res.statusCode, json: res.json() };
}

async function objectsOf(ctx: TestContext): Promise<string[]> {
  return (await ctx.storage.list('')).sort();
}

async function assetCount(ctx: TestContext): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  return rows[0]!.n;
}

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    t.test('stores a JPEG byte for byte, writes a processing row and queues an image job', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const photographer = await ctx.mint('photographer', 'conf');
      const res = await upload(ctx, photographer, [filePart(fixture('exif-orientation_1.jpg'), 'IMG_0001.JPG', 'text/plain')]);
      t.equal(res.statusCode, 201, JSON.stringify(res.json));
      const [asset] = res.json.assets;
      t.match(asset, { status: 'processing', duplicate: false });
      t.same(await objectsOf(ctx), [`originals/${asset.id}`]);
      const original = await readFile(fixture('exif-orientation_1.jpg'));
      const chunks: Buffer[] = [];
      for await (const c of await ctx.storage.get(`originals/${asset.id}`)) chunks.push(c);
      t.ok(Buffer.concat(chunks).equals(original), 'stored bytes equal the upload');
      const { rows } = await ctx.db.query('SELECT kind, mime_type, status, bytes, encode(sha256, \'hex\') AS sha FROM assets WHERE id = $1', [asset.id]);
      t.same(rows[0], { kind: 'image', mime_type: 'image/jpeg', status: 'processing', bytes: original.length, sha: createHash('sha256').update(original).digest('hex') });
      const job = await ctx.queues.queues.images.getJob(`derive-image-${asset.id}`);
      t.ok(job, 'a derive-image job waits');
      t.same(job?.data, { assetId: asset.id });
    });

    t.test('decides type from the bytes: videos go to the videos queue, PDFs are documents', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const editor = await ctx.mint('editor', 'conf');
      const cases: [string, string, string][] = [
        ['mp4_h264_aac_imovie.mp4', 'video', 'video/mp4'],
        ['mkv_h264_aac.mkv', 'video', 'video/matroska'],
        ['webm_vp8_vorbis.webm', 'video', 'video/webm'],
        ['avi_msmpeg4v2_adpcm.avi', 'video', 'video/vnd.avi'],
        ['mpegts_panasonic-avchd_h264_ac3.mts', 'video', 'video/mp2t'],
        ['mov_h264_macos-keys-localized.mov', 'video', 'video/quicktime'],
        ['heic_iphone7plus_gps_rot90.heic', 'image', 'image/heic'],
        ['avif_iphone12pro_exif_gps.avif', 'image', 'image/avif'],
        ['png_rgba_alpha.png', 'image', 'image/png'],
        ['gif_animated_loop3.gif', 'image', 'image/gif'],
        ['webp_animated.webp', 'image', 'image/webp'],
        ['tiff_canon-5d3_iptc_xmp_prophoto-icc.tif', 'image', 'image/tiff'],
        ['pdf_distiller_linearized_xmp.pdf', 'document', 'application/pdf'],
      ];
      for (const [file, kind, mime] of cases) {
        // a misleading name and Content-Type change nothing
        const res = await upload(ctx, editor, [filePart(fixture(file), 'holiday.txt', 'text/plain')]);
        t.equal(res.statusCode, 201, `${file}: ${JSON.stringify(res.json)}`);
        const id = res.json.assets[0].id;
        const { rows } = await ctx.db.query('SELECT kind, mime_type FROM assets WHERE id = $1', [id]);
        t.same(rows[0], { kind, mime_type: mime }, file);
        const queue = kind === 'video' ? ctx.queues.queues.videos : ctx.queues.queues.images;
        t.ok(await queue.getJob(`${kind === 'video' ? 'transcode-video' : 'derive-image'}-${id}`), `${file} queued on ${queue.name}`);
      }
    });

    t.test('rejects an SVG upload with 415 and stores nothing', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
      const res = await upload(ctx, token, [{ name: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', body: svg }]);
      t.equal(res.statusCode, 415);
      t.equal(res.json.code, 'LAMHA_UNSUPPORTED_TYPE');
      t.same(await objectsOf(ctx), []);
      t.equal(await assetCount(ctx), 0);
    });

    t.test('refuses a video container smuggling a playlist (the ffmpeg local-file-read class) with 415, unread', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const playlist = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n';
      for (const [name, body] of [['clip.avi', aviWithGab2(playlist)], ['clip.mp4', Buffer.concat([ftypBox(), Buffer.from(playlist)])]] as const) {
        const res = await upload(ctx, token, [{ name: 'file', filename: name, body }]);
        t.equal(res.statusCode, 415, `${name}: ${JSON.stringify(res.json)}`);
        t.equal(res.json.code, 'LAMHA_UNSUPPORTED_TYPE');
      }
      for (const name of ['playlist.m3u8', 'list.ffconcat']) {
        const body = name.endsWith('m3u8') ? playlist : 'ffconcat version 1.0\nfile /etc/passwd\n';
        t.equal((await upload(ctx, token, [{ name: 'file', filename: name, contentType: 'video/mp4', body }])).statusCode, 415, name);
      }
      t.same(await objectsOf(ctx), []);
      t.equal(await assetCount(ctx), 0);
    });

    t.test('rejects unknown bytes with 415 and an empty file with 400', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const unknown = await upload(ctx, token, [{ name: 'file', filename: 'a.jpg', body: Buffer.alloc(10_000, 7) }]);
      t.equal(unknown.statusCode, 415);
      t.equal(unknown.json.code, 'LAMHA_UNSUPPORTED_TYPE');
      const empty = await upload(ctx, token, [{ name: 'file', filename: 'a.jpg', body: Buffer.alloc(0) }]);
      t.equal(empty.statusCode, 400);
      t.equal(empty.json.code, 'LAMHA_EMPTY_FILE');
      const none = await upload(ctx, token, [{ name: 'caption', body: 'no file here' }]);
      t.equal(none.statusCode, 400);
      t.equal(none.json.code, 'LAMHA_NO_FILE');
      t.same(await objectsOf(ctx), []);
      t.equal(await assetCount(ctx), 0);
    });

    t.test('a rejected file fails the whole request and removes the files stored before it', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const res = await upload(ctx, token, [
        filePart(fixture('exif-orientation_1.jpg')),
        filePart(fixture('png_rgba_alpha.png')),
        { name: 'file', filename: 'x.svg', body: '<svg xmlns="http://www.w3.org/2000/svg"/>' },
      ]);
      t.equal(res.statusCode, 415);
      t.same(await objectsOf(ctx), []);
      t.equal(await assetCount(ctx), 0);
    });

    t.test('returns the existing asset for the same bytes in the same event and stores nothing twice', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const first = await upload(ctx, token, [filePart(fixture('exif-orientation_1.jpg'))]);
      const again = await upload(ctx, token, [filePart(fixture('exif-orientation_1.jpg'), 'renamed.jpg'), filePart(fixture('png_rgba_alpha.png'))]);
      t.equal(again.statusCode, 201);
      t.same(again.json.assets[0], { id: first.json.assets[0].id, status: 'processing', duplicate: true });
      t.equal(again.json.assets[1].duplicate, false);
      const twiceInOne = await upload(ctx, token, [filePart(fixture('mkv_h264_aac.mkv')), filePart(fixture('mkv_h264_aac.mkv'))]);
      t.equal(twiceInOne.json.assets[1].id, twiceInOne.json.assets[0].id);
      t.equal(twiceInOne.json.assets[1].duplicate, true);
      t.same(await objectsOf(ctx), [first.json.assets[0].id, again.json.assets[1].id, twiceInOne.json.assets[0].id].map((id) => `originals/${id}`).sort());
      t.equal(await assetCount(ctx), 3);
    });

    t.test('keeps Arabic and emoji filenames as data, without bidi controls, never as keys', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const editor = await ctx.mint('editor', 'conf');
      const name = 'صورة المؤتمر 😀\u202Egpj.exe.jpg';
      const res = await upload(ctx, editor, [filePart(fixture('exif-orientation_1.jpg'), `../../${name}`)]);
      t.equal(res.statusCode, 201);
      const id = res.json.assets[0].id;
      const got = await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(editor) });
      t.equal(got.json().originalFilename, 'صورة المؤتمر 😀gpj.exe.jpg');
      t.same(await objectsOf(ctx), [`originals/${id}`]);
    });

    t.test('applies caption, credit and licence fields to the uploaded files', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const res = await upload(ctx, token, [
        { name: 'caption', body: 'افتتاح المؤتمر' },
        { name: 'credit', body: 'Lina K.' },
        { name: 'license', body: 'CC-BY-4.0' },
        filePart(fixture('exif-orientation_1.jpg')),
      ]);
      t.equal(res.statusCode, 201);
      const got = await ctx.app.inject({ url: `/api/v1/assets/${res.json.assets[0].id}`, headers: ctx.auth(token) });
      t.match(got.json(), { caption: { ar: 'افتتاح المؤتمر' }, credit: 'Lina K.', license: 'CC-BY-4.0' });
      const bad = await upload(ctx, token, [{ name: 'locale', body: 'de' }, filePart(fixture('png_rgba_alpha.png'))]);
      t.equal(bad.statusCode, 400);
      t.equal(bad.json.code, 'LAMHA_VALIDATION');
      t.same(await objectsOf(ctx), [`originals/${res.json.assets[0].id}`]);
    });

    t.test('more form fields than allowed get 413 LAMHA_TOO_MANY_PARTS and the file stored before them is removed', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      // the app allows 20 fields a request (app.ts); captions are a field the upload knows
      const captions = Array.from({ length: 21 }, (_, i) => ({ name: 'caption', body: `caption ${i}` }));
      const res = await upload(ctx, token, [filePart(fixture('exif-orientation_1.jpg')), ...captions]);
      t.equal(res.statusCode, 413, JSON.stringify(res.json));
      t.match(res.json, { statusCode: 413, code: 'LAMHA_TOO_MANY_PARTS', error: 'Payload Too Large' });
      t.same(await objectsOf(ctx), []);
      t.equal(await assetCount(ctx), 0);
      const twenty = await upload(ctx, token, [filePart(fixture('exif-orientation_1.jpg')), ...captions.slice(1)]);
      t.equal(twenty.statusCode, 201, 'twenty fields are taken');
    });

    t.test('a body that ends before its multipart end gets 400 LAMHA_UPLOAD_ABORTED and nothing is kept', async (t) => {
      const ctx = await createTestContext(t, { s3 });
      await seedEvent(ctx);
      const token = await ctx.mint('photographer', 'conf');
      const form = multipart([filePart(fixture('exif-orientation_1.jpg')), filePart(fixture('png_rgba_alpha.png'))]);
      const chunks: Buffer[] = [];
      for await (const c of form.body) chunks.push(c as Buffer);
      const whole = Buffer.concat(chunks);
      // a complete first file, then the second cut off in its middle: what a dropped connection's proxy forwards
      const second = whole.indexOf('png_rgba_alpha.png');
      const cut = whole.subarray(0, second + 2000);
      const res = await ctx.app.inject({ method: 'POST', url: URL_, headers: { ...ctx.auth(token), ...form.headers }, payload: cut });
      t.equal(res.statusCode, 400, res.body);
      t.match(res.json(), { statusCode: 400, code: 'LAMHA_UPLOAD_ABORTED', error: 'Bad Request' });
      t.same(await objectsOf(ctx), [], 'the first file, stored whole, is removed too');
      t.equal(await assetCount(ctx), 0);
    });
  });
}

t.test('with the S3 server down, an upload gets 503 LAMHA_STORAGE_UNAVAILABLE and writes no row', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const lane = await s3Lane(t, 'embedded');
  await lane.embedded!.close();
  const app = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: lane.storage, queues: ctx.queues } });
  t.teardown(() => app.close());
  const form = multipart([filePart(fixture('exif-orientation_1.jpg'))]);
  const res = await app.inject({ method: 'POST', url: URL_, headers: { ...ctx.auth(await ctx.mint('photographer', 'conf')), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 503, res.body);
  t.same(res.json(), {
    statusCode: 503, code: 'LAMHA_STORAGE_UNAVAILABLE', error: 'Service Unavailable', message: 'A service Lamha depends on is unavailable; try again shortly',
  });
  t.notMatch(res.body, /127\.0\.0\.1|ECONNREFUSED/, 'the storage address stays in the log');
  t.equal(await assetCount(ctx), 0);
  t.equal(await ctx.queues.queues.images.count(), 0, 'nothing queued');
});
