/**
 * Location at rest: an event that does not keep locations (the default) stores each original
 * without position, serial numbers and owner names, losslessly; one that keeps them stores the
 * upload byte for byte. Checked on what S3 holds, with exiftool and ffprobe run here, not with
 * the code under test.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exiftoolPath as vendoredExiftool } from 'exiftool-vendored';
import sharp from 'sharp';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { originalKey } from '../../src/storage/keys.js';
import { cleanOriginal } from '../../workers/processors/clean-original.js';
import { findAssetToProcess } from '../../src/db/processing.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import {
  fixture, inspector, jpegImageData, pixelHash, privateTags as privateTagsOf, run, sha256, storedOriginal, streamHash, tagOf, uploadOne as upload,
} from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const { exiftool, work, file: scratch } = await inspector(t);
const exiftoolPath = await vendoredExiftool();
const privateTags = (file: string) => privateTagsOf(exiftool, file);
const tag = (file: string, name: string) => tagOf(exiftool, file, name);
const pixels = (file: string, heif = false) => pixelHash(file, work, heif);

/** The stored original, written to a file of its own (exiftool and ffmpeg read files). */
async function stored(ctx: TestContext, id: string, ext: string): Promise<string> {
  return scratch(`${id}.${ext}`, await storedOriginal(ctx, id));
}

async function assetRow(ctx: TestContext, id: string) {
  const { rows } = await ctx.db.query(
    `SELECT encode(sha256, 'hex') AS sha256, bytes, private_latitude AS lat, private_longitude AS lon, private_altitude AS alt,
       original_cleaned_at AS cleaned, captured_at AS "capturedAt", status, error FROM assets WHERE id = $1`, [id]);
  return rows[0];
}

/** what follows the vivo X90 Pro photo's image: exiftool's Trailer:Vivo, JSON camera settings */
const VIVO_TRAILER_BYTES = 459;

t.jobs = 2;

t.test('photos of an event that does not keep locations are stored without them, their image data unchanged', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const photos: [name: string, ext: string, compare: 'jpeg' | 'pixels' | 'heif'][] = [
    ['jpeg_canon-600d_gps_iptc_xmp.jpg', 'jpg', 'jpeg'],
    ['jpeg_nikon-d2x_gps_iptc_xmp.jpg', 'jpg', 'jpeg'],
    ['jpeg_hasselblad-l1d20c_drone_gps.jpg', 'jpg', 'jpeg'],
    ['jpeg_htc-one-m8_gps-as-ascii.jpg', 'jpg', 'jpeg'],
    ['jpeg_vivo-x90pro_gps_offsettime.jpg', 'jpg', 'jpeg'],
    ['heic_iphone-xs-max_gps.heic', 'heic', 'heif'],
    ['avif_iphone12pro_exif_gps.avif', 'avif', 'heif'],
    ['tiff_dji-xt2_thermal-16bit_gps.tiff', 'tiff', 'pixels'],
    ['tiff_canon-5d3_iptc_xmp_prophoto-icc.tif', 'tif', 'pixels'],
  ];
  const ids = [];
  for (const [name] of photos) ids.push(await upload(ctx, name));
  for (const [i, [name, ext, compare]] of photos.entries()) {
    const id = ids[i]!.id;
    const uploaded = await readFile(fixture(name));
    t.equal((await settled(ctx, id)).status, 'ready', `${name} is ready`);
    const before = fixture(name);
    const after = await stored(ctx, id, ext);
    t.ok((await privateTags(before)).length > 0, `${name} carries private tags as uploaded`);
    t.same(await privateTags(after), [], `${name}: no position, serial or owner left in the stored original`);
    // the vivo ends with a trailer of its own after the image (459 bytes of JSON camera info), which goes
    const trailer = name === 'jpeg_vivo-x90pro_gps_offsettime.jpg' ? VIVO_TRAILER_BYTES : 0;
    if (compare === 'jpeg') t.ok(jpegImageData(await readFile(after)).equals(jpegImageData(uploaded.subarray(0, uploaded.length - trailer))), `${name}: tables and scan data are the upload's bytes`);
    else t.equal(await pixels(after, compare === 'heif'), await pixels(before, compare === 'heif'), `${name}: the same pixels`);
    t.equal(await tag(after, 'DateTimeOriginal'), await tag(before, 'DateTimeOriginal'), `${name}: the capture time stays`);
    t.equal(await tag(after, 'Model'), await tag(before, 'Model'), `${name}: the camera model stays`);
    const row = await assetRow(ctx, id);
    t.match(row, { sha256: sha256(uploaded), bytes: String(uploaded.length), lat: null, lon: null, alt: null }, `${name}: the upload's hash and size, no position`);
    t.type(row.cleaned, Date, `${name}: recorded as cleaned`);
  }
  // the workflow's own text stays: caption and credit of the Nikon file
  const nikon = await stored(ctx, ids[1]!.id, 'jpg');
  t.match(String(await tag(nikon, 'Caption-Abstract')), /Lincoln Memorial/);
  t.equal(await tag(nikon, 'XMP-iptcCore:CreatorCity'), undefined, "the creator's address goes");
  t.equal(await tag(nikon, 'XMP-photoshop:City'), undefined, 'place names go');

  // duplicates are told by the upload's bytes, whatever is stored
  t.match(await upload(ctx, photos[0]![0]), { id: ids[0]!.id, duplicate: true });
});

t.test('videos are remuxed without location, data tracks and SEI, their pictures and sound unchanged', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  // a 3GP with AMR audio, which ffmpeg reads but will not remux, with a position written in
  const amr = path.join(work, 'amr-gps.3gp');
  await writeFile(amr, await readFile(fixture('3gp_h263_amr.3gp')));
  await exiftool.write(amr, { 'UserData:GPSCoordinates': '36.19, 44.01, 400' } as never, { writeArgs: ['-overwrite_original'] });
  // [name, extension, carries a position, the bytes when not the fixture's]
  const videos: [name: string, ext: string, located: boolean, body?: Buffer][] = [
    ['mov_iphone-x_h264_location-iso6709.mov', 'mov', true],
    ['mp4_h264_aac_gps-udta-xyz.mp4', 'mp4', true],
    ['mpegts_panasonic-avchd_h264_ac3.mts', 'mts', false],
    ['mkv_h264_aac.mkv', 'mkv', false],
    ['amr-gps.3gp', '3gp', true, await readFile(amr)],
  ];
  const ids = [];
  for (const [name, , , body] of videos) ids.push((await upload(ctx, name, body)).id);
  for (const [i, [name, ext, located, body]] of videos.entries()) {
    const id = ids[i]!;
    t.match(await settled(ctx, id, 120_000), { status: 'ready' }, `${name} is ready`);
    const before = body ? amr : fixture(name);
    const after = await stored(ctx, id, ext);
    if (located) t.ok((await privateTags(before)).length > 0, `${name} carries private tags as uploaded`);
    t.same(await privateTags(after), [], `${name}: no position, serial or owner left`);
    t.equal(await streamHash(after, 'v', true), await streamHash(before, 'v', true), `${name}: the same pictures`);
    t.equal(await streamHash(after, 'a', false), await streamHash(before, 'a', false), `${name}: the same sound packets`);
    const row = await assetRow(ctx, id);
    t.match(row, { lat: null, lon: null }, `${name}: no position recorded`);
    t.type(row.cleaned, Date);
  }
  const mov = await stored(ctx, ids[0]!, 'mov');
  t.same(await streamKinds(mov), ['video', 'audio'], "the iPhone's timed-metadata tracks go");
  t.equal((await assetRow(ctx, ids[0]!)).capturedAt.toISOString(), '2019-02-12T07:27:12.000Z', 'the capture time stays');
  t.equal(await rotation(await stored(ctx, ids[1]!, 'mp4')), -90, 'the display matrix stays');
  const h264Tags = async (file: string) => Object.keys(await exiftool.readRaw(file, { readArgs: ['-ee', '-G1', '-H264:all'] })).filter((k) => k.startsWith('H264:'));
  t.ok((await h264Tags(fixture('mpegts_panasonic-avchd_h264_ac3.mts'))).length > 0, 'the AVCHD upload carries per-frame camera data');
  t.same(await h264Tags(await stored(ctx, ids[2]!, 'mts')), [], "AVCHD's per-frame camera data (H.264 SEI) goes");
});

t.test('a camera JPEG is stored without its location as it is uploaded, before any worker runs', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  // no worker yet: what S3 holds is what the upload stored
  const photos = [
    'jpeg_canon-600d_gps_iptc_xmp.jpg', 'jpeg_nikon-d2x_gps_iptc_xmp.jpg', 'jpeg_hasselblad-l1d20c_drone_gps.jpg', 'jpeg_htc-one-m8_gps-as-ascii.jpg',
    'jpeg_iphone-4s_gps.jpg', 'jpeg_kodak-cx7530_gps-southern.jpg', 'jpeg_canon-30d_progressive_empty-gps.jpg',
  ];
  for (const name of photos) {
    const uploaded = await readFile(fixture(name));
    const { id } = await upload(ctx, name);
    const row = await assetRow(ctx, id);
    t.type(row.cleaned, Date, `${name}: recorded as cleaned at upload`);
    t.match(row, { status: 'processing', sha256: sha256(uploaded), bytes: String(uploaded.length) }, `${name}: the upload's hash and size`);
    const after = await stored(ctx, id, 'jpg');
    t.ok((await privateTags(fixture(name))).length > 0, `${name} carries private tags as uploaded`);
    t.same(await privateTags(after), [], `${name}: no position, serial or owner in the stored original`);
    t.ok(jpegImageData(await readFile(after)).equals(jpegImageData(uploaded)), `${name}: tables and scan data are the upload's bytes`);
    t.equal(await tag(after, 'DateTimeOriginal'), await tag(fixture(name), 'DateTimeOriginal'), `${name}: the capture time stays`);
    t.equal(await tag(after, 'Model'), await tag(fixture(name), 'Model'), `${name}: the camera model stays`);
  }

  // what the head cannot vouch for is left to the worker: a picture appended after the end of
  // the image (as phones store a second one), and a head longer than the part read before storing
  const canon = await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'));
  const appended = Buffer.concat([canon, await readFile(fixture('jpeg_iphone-4s_gps.jpg'))]);
  const trailer = await upload(ctx, 'appended.jpg', appended);
  const vivo = await upload(ctx, 'jpeg_vivo-x90pro_gps_offsettime.jpg');
  for (const { id } of [trailer, vivo]) t.equal((await assetRow(ctx, id)).cleaned, null, 'not recorded as cleaned at upload');
  t.ok((await storedOriginal(ctx, vivo.id)).equals(await readFile(fixture('jpeg_vivo-x90pro_gps_offsettime.jpg'))), 'a head it could not clean is stored as uploaded');

  // the worker cleans those two whole and leaves the others' stored originals as they are
  const etag = (id: string) => ctx.storage.stat(originalKey(id)).then((s) => s.etag);
  const cleanedAtUpload = (await ctx.db.query<{ id: string }>('SELECT id FROM assets WHERE original_cleaned_at IS NOT NULL')).rows.map((r) => r.id);
  const before = await Promise.all(cleanedAtUpload.map(etag));
  runWorkers(t, ctx, ['images']);
  for (const { id } of [trailer, vivo]) {
    t.equal((await settled(ctx, id)).status, 'ready');
    t.type((await assetRow(ctx, id)).cleaned, Date, 'cleaned by the worker');
    t.same(await privateTags(await stored(ctx, id, 'jpg')), [], 'no position, serial or owner left');
  }
  // exiftool lists neither the appended picture nor its position: what follows the image is cut
  const cut = await storedOriginal(ctx, trailer.id);
  t.notOk(cut.includes(await readFile(fixture('jpeg_iphone-4s_gps.jpg'))), 'the appended picture is not stored');
  t.ok(jpegImageData(cut).equals(jpegImageData(canon)), 'the image itself is the upload\'s, to its last byte');
  t.equal(await tag(await stored(ctx, vivo.id, 'jpg'), 'JSONInfo'), undefined, 'the phone\'s trailer is gone');
  t.ok(jpegImageData(await storedOriginal(ctx, vivo.id)).equals(jpegImageData(await readFile(fixture('jpeg_vivo-x90pro_gps_offsettime.jpg'))).subarray(0, -VIVO_TRAILER_BYTES)),
    'the image data is the upload\'s, less the trailer');
  for (const id of cleanedAtUpload) t.equal((await settled(ctx, id)).status, 'ready');
  t.same(await Promise.all(cleanedAtUpload.map(etag)), before, 'originals cleaned at upload are not stored again');
});

t.test('a camera JPEG sent with tus is stored clean too, its first part cleaned, whichever process takes its requests', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  // larger than one S3 part (5 MiB), with the Canon's metadata: GPS, serials, owner, place names
  const photo = async (seed: number) => {
    const file = await scratch(`tus-${seed}.jpg`, await sharp({ create: { width: 3600, height: 2400, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 128, sigma: 40 + seed } } })
      .jpeg({ quality: 97 }).toBuffer());
    await run(exiftoolPath, ['-q', '-overwrite_original', '-TagsFromFile', fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'), '-all:all', file]);
    return readFile(file);
  };
  const token = await ctx.mint('photographer', 'conf');
  const other = await buildApp(ctx.config, { deps: { db: ctx.db, redis: ctx.redis, storage: ctx.storage, queues: ctx.queues } });
  t.teardown(() => other.close());
  /** tus: one POST, then a PATCH per slice, each to the app named beside it */
  const send = async (body: Buffer, slices: [end: number, app: typeof other][]) => {
    const tus = { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' };
    const meta = ['event conf', 'album day-1', 'filename hall.jpg'].map((kv) => { const [k, v] = kv.split(' '); return `${k} ${Buffer.from(v!).toString('base64')}`; }).join(',');
    const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { ...tus, 'upload-length': String(body.length), 'upload-metadata': meta } });
    t.equal(created.statusCode, 201, created.body);
    const url = new URL(created.headers.location!).pathname;
    let offset = 0;
    let last;
    for (const [end, app] of slices) {
      last = await app.inject({ method: 'PATCH', url, headers: { ...tus, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, payload: body.subarray(offset, end) });
      t.equal(last.statusCode, 204, last.body);
      offset = end;
    }
    return { id: String(last!.headers['lamha-asset-id']), sha256: String(last!.headers['lamha-sha256']) };
  };

  const one = await photo(0);
  t.ok(one.length > 6 * 1024 * 1024, `${one.length} bytes: two parts`);
  t.ok((await privateTags(await scratch('one.jpg', one))).length > 0, 'it carries private tags');
  // the head in the first request, the first part stored in the second, its rest kept between requests
  const a = await send(one, [[100_000, ctx.app], [6 * 1024 * 1024, ctx.app], [one.length, ctx.app]]);
  t.equal(a.sha256, sha256(one), 'the SHA-256 of the upload');
  const row = await assetRow(ctx, a.id);
  t.type(row.cleaned, Date, 'recorded as cleaned at upload');
  t.equal(row.sha256, sha256(one), 'the asset has the upload\'s hash');
  const stored = await scratch(`${a.id}.jpg`, await storedOriginal(ctx, a.id));
  t.same(await privateTags(stored), [], 'no position, serial or owner in the stored original');
  t.ok(jpegImageData(await readFile(stored)).equals(jpegImageData(one)), 'tables and scan data are the upload\'s bytes');

  // the last request to another API process: its check of the scans was not there, the hash is read back
  const two = await photo(1);
  const b = await send(two, [[6 * 1024 * 1024, ctx.app], [two.length, other]]);
  t.equal(b.sha256, sha256(two), 'the SHA-256 of the upload, read back past the cleaned head');
  t.equal((await assetRow(ctx, b.id)).cleaned, null, 'left to the worker');
  t.same(await privateTags(await scratch(`${b.id}.jpg`, await storedOriginal(ctx, b.id))), [], 'its head was cleaned all the same');
  runWorkers(t, ctx, ['images']);
  t.equal((await settled(ctx, b.id)).status, 'ready');
  t.type((await assetRow(ctx, b.id)).cleaned, Date, 'then cleaned by the worker');
});

t.test('an event that keeps locations stores the upload byte for byte and its position privately', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const res = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(ctx.admin), payload: { keepLocation: true } });
  t.equal(res.json().keepLocation, true);
  runWorkers(t, ctx, ['images']);
  const name = 'jpeg_canon-600d_gps_iptc_xmp.jpg';
  const { id } = await upload(ctx, name);
  t.equal((await settled(ctx, id)).status, 'ready');
  t.ok((await readFile(await stored(ctx, id, 'jpg'))).equals(await readFile(fixture(name))), 'the original as uploaded');
  const row = await assetRow(ctx, id);
  t.equal(row.cleaned, null);
  t.equal(row.lat.toFixed(4), '37.8711');
  t.equal(row.lon.toFixed(4), '-122.2568');

  // turning it off forgets the positions recorded
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers: ctx.auth(ctx.admin), payload: { keepLocation: false } });
  t.match(await assetRow(ctx, id), { lat: null, lon: null, alt: null });
  // and the public is never told the setting
  t.notOk('keepLocation' in (await ctx.app.inject({ url: '/api/v1/events/conf' })).json());
  t.equal((await ctx.app.inject({ url: '/api/v1/events/conf', headers: ctx.auth(ctx.admin) })).json().keepLocation, false);
});

t.test('a file whose private tags cannot be removed is not kept, and the asset says why', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const workers = runWorkers(t, ctx, []);
  // bytes after the end of the image: not cleaned as it was uploaded, so the worker's to clean
  const { id } = await upload(ctx, 'trailer.jpg', Buffer.concat([await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg')), Buffer.from('trailer')]));
  const asset = (await findAssetToProcess(ctx.db, id))!;
  t.equal(asset.originalCleanedAt, null);
  const original = path.join(work, `${id}-uploaded.jpg`);
  await writeFile(original, await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg')));
  // exiftool refusing to write (a format it only reads, damaged metadata) is what this stands for
  const deps = { ...workers.deps, metadata: { ...workers.deps.metadata, removePrivate: async () => false } };
  const dir = await mkdtemp(path.join(work, 'job-'));
  const err = await cleanOriginal(deps, asset, original, dir, { signal: AbortSignal.timeout(60_000), timeoutMs: 60_000 }).catch((e: unknown) => e);
  t.match(err, { code: 'LAMHA_PRIVATE_METADATA', message: /GPS/ });
  t.same(await ctx.storage.list(originalKey(id)), [], 'the stored original is gone');
});

async function streamKinds(file: string): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n');
}

async function rotation(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream_side_data=rotation', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}
