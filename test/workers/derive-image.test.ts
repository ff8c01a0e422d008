/**
 * The image pipeline end to end: upload through the API, the real worker (sharp, libheif,
 * poppler, exiftool), renditions in S3, rows in PostgreSQL, and what the public can fetch.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { ExifTool } from 'exiftool-vendored';
import t from 'tap';
import { liveChannel } from '../../src/redis/live.js';
import { deriveImageJob } from '../../workers/processors/derive-image.js';
import { createTestContext, REDIS_URL, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart, type FormPart } from '../helpers/multipart.js';
import { waitFor } from '../helpers/processes.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const exiftool = new ExifTool({ maxProcs: 1 });
t.teardown(() => exiftool.end());

async function upload(ctx: TestContext, parts: FormPart[], token = ctx.admin) {
  const form = multipart(parts);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(token), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets as { id: string; duplicate: boolean }[];
}

async function uploadFile(ctx: TestContext, name: string, body?: Buffer): Promise<string> {
  const [a] = await upload(ctx, [{ name: 'file', filename: name, body: body ?? (await readFile(fixture(name))) }]);
  return a!.id;
}

async function objectBytes(ctx: TestContext, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function renditionsOf(ctx: TestContext, id: string) {
  const { rows } = await ctx.db.query<{ name: string; key: string; width: number; height: number; bytes: number; type: string }>(
    'SELECT name, key, width, height, bytes, type FROM renditions WHERE asset_id = $1 ORDER BY name', [id]);
  return rows;
}

/** Every tag exiftool finds in a file, except those describing the file itself and its pixels. */
async function metadataTags(data: Buffer, ext: string): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-meta-'));
  try {
    const file = path.join(dir, `r.${ext}`);
    await writeFile(file, data);
    const tags = (await exiftool.read(file, { readArgs: ['-G1', '-a'] })) as unknown as Record<string, unknown>;
    return Object.fromEntries(Object.entries(tags).filter(([k]) => !/^(SourceFile|errors|warnings|ExifToolVersion|File:|System:|Composite:|RIFF:|JFIF:|PNG:|ExifTool:)/.test(k) && !['FileName', 'Directory', 'FileSize', 'FileModifyDate', 'FileAccessDate', 'FileInodeChangeDate', 'FilePermissions', 'FileType', 'FileTypeExtension', 'MIMEType', 'ImageWidth', 'ImageHeight', 'ImageSize', 'Megapixels', 'BitsPerSample', 'ColorComponents', 'EncodingProcess', 'YCbCrSubSampling', 'VP8Version', 'HorizontalScale', 'VerticalScale', 'ImageDescription_' ].includes(k) && !k.startsWith('tz')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A 24×18 grey-level fingerprint of an image's pixels, for comparing what two files show. */
async function fingerprint(data: Buffer): Promise<Buffer> {
  return sharp(data).resize(24, 18, { fit: 'fill' }).greyscale().raw().toBuffer();
}

function difference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}


// Two subtests at a time: each has its own context (schema, bucket, queue prefix) and workers.
t.jobs = 2;

t.test('the orientation set (1–8) comes out upright: every rendition shows what orientation 1 shows', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const ids: string[] = [];
  for (let o = 1; o <= 8; o++) ids.push(await uploadFile(ctx, `exif-orientation_${o}.jpg`));
  for (const id of ids) t.equal((await settled(ctx, id)).status, 'ready');
  const reference = await fingerprint(await objectBytes(ctx, `renditions/${ids[0]}/medium.webp`));
  const turned = await fingerprint(await sharp(await objectBytes(ctx, `renditions/${ids[0]}/medium.webp`)).rotate(180).toBuffer());
  t.ok(difference(reference, turned) > 20, 'the fingerprint tells a turned picture from an upright one');
  for (const [i, id] of ids.entries()) {
    const renditions = await renditionsOf(ctx, id);
    t.same(renditions.map((r) => [r.name, r.width, r.height]), [['fallback.jpg', 600, 450], ['medium.webp', 600, 450], ['thumb.webp', 400, 300]], `orientation ${i + 1}: sizes`);
    const { rows } = await ctx.db.query('SELECT width, height FROM assets WHERE id = $1', [id]);
    t.same(rows[0], { width: 600, height: 450 }, `orientation ${i + 1}: upright dimensions`);
    for (const r of renditions) {
      const d = difference(reference, await fingerprint(await objectBytes(ctx, r.key)));
      t.ok(d < 8, `orientation ${i + 1}: ${r.name} is upright (difference ${d.toFixed(1)})`);
    }
  }
});

t.test('no rendition carries metadata but a colour profile: no GPS, no camera, no captions', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images']);
  const files = ['jpeg_canon-600d_gps_iptc_xmp.jpg', 'jpeg_nikon-d2x_gps_iptc_xmp.jpg', 'heic_iphone7plus_gps_rot90.heic', 'avif_iphone12pro_exif_gps.avif',
    'png_rgba_alpha.png', 'tiff_canon-5d3_iptc_xmp_prophoto-icc.tif', 'exif-orientation_6.jpg'];
  // all queued at once: the worker derives them side by side
  const ids: string[] = [];
  for (const file of files) ids.push(await uploadFile(ctx, file));
  for (const [i, file] of files.entries()) {
    const id = ids[i]!;
    t.equal((await settled(ctx, id)).status, 'ready', file);
    for (const r of await renditionsOf(ctx, id)) {
      const tags = await metadataTags(await objectBytes(ctx, r.key), r.type === 'image/jpeg' ? 'jpg' : 'webp');
      const keys = Object.keys(tags);
      t.same(keys.filter((k) => /GPS|Make|Model|Serial|Artist|Creator|Copyright|Caption|Description|Keywords|By-line|Orientation|DateTime|Lens|Location|City|Country/i.test(k)), [], `${file} → ${r.name}: none of the original's tags`);
      t.same(keys.filter((k) => !/^ICC|^ICC_Profile|ProfileDescription|ICC-/.test(k) && !/^(ICC_Profile|ICC-header|ICC-meas|ICC-view):/.test(k)), [], `${file} → ${r.name}: nothing but a colour profile`);
    }
  }
});

t.test('caption, credit and capture time come from the file; GPS lands only in private columns', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images']);
  const editor = await ctx.mint('editor', 'conf');

  const id = (await upload(ctx, [{ name: 'file', filename: 'lincoln.jpg', body: await readFile(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg')) }]))[0]!.id;
  t.equal((await settled(ctx, id)).status, 'ready');
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(editor) })).json();
  t.equal(asset.credit, 'Julie Doe', 'by-line → credit');
  t.match(asset.caption, { en: /Abraham Lincoln/ }, 'the caption is filled from the file, as English: its script is Latin');
  t.notOk('ar' in asset.caption, 'not mislabelled as the Arabic default');
  t.equal(typeof asset.capturedAt, 'string');
  t.same([asset.width, asset.height], [527, 350]);
  t.match(asset.metadata, {
    camera: { make: 'NIKON CORPORATION', model: 'NIKON D2X' }, lens: '70.0-200.0 mm f/2.8',
    headline: 'Lincoln Memorial', copyright: /Julie Doe/, keywords: ['North America', 'United States of America', 'America'],
  }, 'camera, lens and IPTC/XMP text are shown');
  t.equal(asset.metadata.keywords.length, 34);
  t.match(asset.placeholder, /^[A-Za-z0-9+/]+=*$/, 'a thumbhash placeholder');
  const { rows } = await ctx.db.query('SELECT private_latitude, private_longitude FROM assets WHERE id = $1', [id]);
  t.ok(Math.abs(rows[0].private_latitude - 38.8902) < 0.001 && Math.abs(rows[0].private_longitude + 77.0493) < 0.001, 'GPS kept privately');
  const body = JSON.stringify(asset);
  const leak = body.match(/.{30}(?:38\.89|77\.04|latitude|longitude|gps).{30}/i)?.[0];
  t.equal(leak, undefined, `the API shows no location (${leak})`);

  // the capture's own offset, and the exposure, as the phone stored them
  const vivo = await uploadFile(ctx, 'jpeg_vivo-x90pro_gps_offsettime.jpg');
  t.equal((await settled(ctx, vivo)).status, 'ready');
  const phone = (await ctx.app.inject({ url: `/api/v1/assets/${vivo}` })).json();
  t.equal(phone.capturedAt, '2023-07-09T12:36:33.616Z');
  t.equal(phone.capturedOffset, '+08:00', '20:36 local time at the place of capture');
  t.match(phone.metadata, { camera: { make: 'vivo', model: 'vivo X90 Pro+' }, exposure: { exposureTime: String, fNumber: Number, iso: Number, focalLength: Number } });
  t.notMatch(JSON.stringify(phone), /latitude|longitude|gps/i, 'nor any location');
  // the answer names its metadata fields: anything else kept with them in the row is never sent
  await ctx.db.query(`UPDATE assets SET metadata = metadata || '{"serialNumber": "SN-4711", "camera": {"make": "vivo", "model": "vivo X90 Pro+", "owner": "A. Person"}}' WHERE id = $1`, [vivo]);
  const stored = (await ctx.app.inject({ url: `/api/v1/assets/${vivo}` })).json();
  t.same(stored.metadata.camera, { make: 'vivo', model: 'vivo X90 Pro+' });
  t.notMatch(JSON.stringify(stored), /SN-4711|A\. Person/, 'no field the view does not name');

  // what the uploader wrote wins over the file
  const [own] = await upload(ctx, [{ name: 'caption', body: 'كلمة الافتتاح' }, { name: 'credit', body: 'Lina K.' }, { name: 'file', filename: 'x.jpg', body: await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg')) }]);
  t.equal((await settled(ctx, own!.id)).status, 'ready');
  const mine = (await ctx.app.inject({ url: `/api/v1/assets/${own!.id}`, headers: ctx.auth(editor) })).json();
  t.same(mine.caption, { ar: 'كلمة الافتتاح' });
  t.equal(mine.credit, 'Lina K.');
});

t.test('a photo\'s tags are read by the check of its clean, the API\'s at upload (multipart or tus) or the worker\'s; by a read of their own only where nothing is cleaned', async (t) => {
  const ctx = await createTestContext(t);
  // the default event: location, serials and owner names leave a JPEG's head as it is stored
  await seedEvent(ctx);
  const multipartId = await uploadFile(ctx, 'jpeg_nikon-d2x_gps_iptc_xmp.jpg');
  const photographer = (await ctx.app.services.tokens.authenticate(await ctx.mint('photographer', 'conf')))!;
  const canon = await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'));
  const resumable = ctx.app.services.resumable;
  const row = await resumable.create(photographer, randomBytes(16).toString('hex'), canon.length, { event: 'conf', album: 'day-1', filename: 'canon.jpg' });
  // two requests: the head (256 KiB) and a little more in the first, cleaned and kept with its tags; the rest in the second
  let offset = await resumable.write(photographer, row.id, 0, Readable.from([canon.subarray(0, 300_000)]));
  offset = await resumable.write(photographer, row.id, offset, Readable.from([canon.subarray(offset)]));
  const tusId = (await resumable.finish(row.id)).id;
  // a file shorter than the head: its head is all here, and cleaned, only with the last request
  const latin = await readFile(fixture('jpeg_iptc-latin1_xmp-utf8_nonascii.jpg'));
  const short = await resumable.create(photographer, randomBytes(16).toString('hex'), latin.length, { event: 'conf', album: 'day-1', filename: 'latin.jpg' });
  await resumable.write(photographer, short.id, 0, Readable.from([latin.subarray(0, 30_000)]));
  await resumable.write(photographer, short.id, 30_000, Readable.from([latin.subarray(30_000)]));
  const lastId = (await resumable.finish(short.id)).id;
  // bytes after the end of the image: its head is cleaned at upload, the rest is not scans only,
  // so the worker cleans it whole and the head's tags are not kept
  const trailerId = await uploadFile(ctx, 'trailer.jpg', Buffer.concat([await readFile(fixture('jpeg_kodak-cx7530_gps-southern.jpg')), Buffer.from('trailer')]));
  // its scans do not start within the first 256 KiB: the worker cleans it whole, its check reading the tags
  const phoneId = await uploadFile(ctx, 'jpeg_vivo-x90pro_gps_offsettime.jpg');
  // not a JPEG: cleaned whole by the worker too
  const heicId = await uploadFile(ctx, 'heic_iphone7plus_gps_rot90.heic');

  const tagsOf = async (id: string) => (await ctx.db.query('SELECT original_tags FROM assets WHERE id = $1', [id])).rows[0].original_tags;
  for (const [id, how] of [[multipartId, 'multipart'], [tusId, 'tus'], [lastId, 'tus, the head in the last request']] as const) {
    const tags = await tagsOf(id);
    t.ok(tags?.width > 0 && 'caption' in tags, `${how}: the tags are kept with the asset`);
    t.equal(tags?.location, null, `${how}: and no location with them`);
  }
  t.same([await tagsOf(phoneId), await tagsOf(heicId), await tagsOf(trailerId)], [null, null, null], 'none for a photo not cleaned at upload');

  const reads: string[] = [];
  runWorkers(t, ctx, ['images'], (deps) => ({ metadata: { ...deps.metadata, read: async (file: string) => (reads.push(file), deps.metadata.read(file)) } }));
  for (const id of [multipartId, tusId, lastId, trailerId, phoneId, heicId]) t.equal((await settled(ctx, id)).status, 'ready');
  t.same(reads, [], 'the worker ran no read of its own');
  const lincoln = (await ctx.app.inject({ url: `/api/v1/assets/${multipartId}` })).json();
  t.equal(lincoln.credit, 'Julie Doe', 'by-line → credit');
  t.match(lincoln.caption, { en: /Abraham Lincoln/ });
  t.match(lincoln.metadata, { camera: { make: 'NIKON CORPORATION', model: 'NIKON D2X' }, lens: '70.0-200.0 mm f/2.8', headline: 'Lincoln Memorial', copyright: /Julie Doe/ });
  t.equal(lincoln.metadata.keywords.length, 34);
  const squirrel = (await ctx.app.inject({ url: `/api/v1/assets/${tusId}` })).json();
  t.match(squirrel.capturedAt, /^2015-06-11T10:29:26/, 'the capture time');
  t.match(squirrel.metadata, { camera: { make: 'Canon', model: 'Canon EOS 600D' }, lens: 'EF-S15-85mm f/3.5-5.6 IS USM', exposure: { exposureTime: '1/800', fNumber: 5.6, iso: 3200 } });
  t.match((await ctx.app.inject({ url: `/api/v1/assets/${lastId}` })).json().caption, { en: /leçon/ }, 'the caption of the one whose head came last');
  t.match((await ctx.app.inject({ url: `/api/v1/assets/${trailerId}` })).json().metadata, { camera: { make: 'EASTMAN KODAK COMPANY' } }, 'the one with a trailer: read by the worker\'s clean');
  const phone = (await ctx.app.inject({ url: `/api/v1/assets/${phoneId}` })).json();
  t.equal(phone.capturedOffset, '+08:00', 'a JPEG the worker cleaned: its check read the tags');
  t.match(phone.metadata, { camera: { make: 'vivo', model: 'vivo X90 Pro+' } });
  const heic = (await ctx.app.inject({ url: `/api/v1/assets/${heicId}` })).json();
  t.match(heic.metadata, { lens: 'iPhone 7 Plus back dual camera 6.6mm f/2.8' }, 'and a HEIC\'s');
  t.same([await tagsOf(multipartId), await tagsOf(tusId)], [null, null], 'the tags are cleared once the asset is ready');

  // an event that keeps locations: nothing is cleaned, so the worker reads the tags itself
  await ctx.db.query(`UPDATE events SET keep_location = true WHERE slug = 'conf'`);
  const kept = await uploadFile(ctx, 'jpeg_iphone-4s_gps.jpg');
  t.equal(await tagsOf(kept), null);
  t.equal((await settled(ctx, kept)).status, 'ready');
  t.equal(reads.length, 1, 'one read, of that photo');
  t.match((await ctx.app.inject({ url: `/api/v1/assets/${kept}` })).json().metadata, { lens: 'iPhone 4S back camera 4.28mm f/2.4' });
});

t.test('the lens name survives the removal of location, serials and maker notes, and the public sees it', async (t) => {
  const ctx = await createTestContext(t);
  // the default event: the stored original loses GPS, serials, owner names and maker notes
  // before the worker reads its metadata
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const cases: [string, string][] = [
    ['jpeg_iphone-4s_gps.jpg', 'iPhone 4S back camera 4.28mm f/2.4'], // EXIF LensModel
    ['jpeg_canon-600d_gps_iptc_xmp.jpg', 'EF-S15-85mm f/3.5-5.6 IS USM'], // a DSLR, lens in EXIF and Lightroom's XMP
    ['jpeg_nikon-d2x_gps_iptc_xmp.jpg', '70.0-200.0 mm f/2.8'], // no lens model tag: from the lens's focal and aperture range
    ['heic_iphone7plus_gps_rot90.heic', 'iPhone 7 Plus back dual camera 6.6mm f/2.8'],
    ['tiff_canon-5d3_iptc_xmp_prophoto-icc.tif', 'EF70-200mm f/2.8L USM'],
    ['jpeg_canon-30d_progressive_empty-gps.jpg', '17.0 - 50.0 mm'],
  ];
  const ids: string[] = [];
  for (const [file] of cases) ids.push(await uploadFile(ctx, file));
  for (const [i, [file, lens]] of cases.entries()) {
    t.equal((await settled(ctx, ids[i]!)).status, 'ready', file);
    const asset = (await ctx.app.inject({ url: `/api/v1/assets/${ids[i]}` })).json();
    t.equal(asset.metadata.lens, lens, `${file}: the lens in the public asset JSON`);
  }
});

t.test('every accepted image format gets renditions: CMYK and progressive JPEG, PNG with alpha and 16-bit, WebP, AVIF, TIFF, GIF, HEIC, PDF', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const photo = await readFile(fixture('exif-orientation_1.jpg'));
  const made: [string, Buffer][] = [
    ['cmyk.jpg', await sharp(photo).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer()],
    ['lossy.webp', await sharp(photo).webp({ quality: 70 }).toBuffer()],
  ];
  const cases: [string, Buffer | undefined, number, number][] = [
    ['jpeg_canon-30d_progressive_empty-gps.jpg', undefined, 600, 900],
    ['png_rgba_alpha.png', undefined, 2048, 1536],
    ['png_16bit_rgb_trns.png', undefined, 32, 32],
    ['avif_iphone12pro_exif_gps.avif', undefined, 192, 256],
    ['tiff_canon-5d3_iptc_xmp_prophoto-icc.tif', undefined, 35, 23],
    ['gif_animated_loop3.gif', undefined, 370, 285],
    ['webp_animated.webp', undefined, 80, 80],
    ['heic_iphone7plus_gps_rot90.heic', undefined, 3024, 4032],
    ['pdf_distiller_linearized_xmp.pdf', undefined, 0, 0],
    ...made.map(([n, b]) => [n, b, 600, 450] as [string, Buffer, number, number]),
  ];
  const ids: string[] = [];
  for (const [name, body] of cases) ids.push(await uploadFile(ctx, name, body));
  for (const [i, [name, , width, height]] of cases.entries()) {
    const id = ids[i]!;
    const end = await settled(ctx, id);
    t.equal(end.status, 'ready', `${name}: ${end.error}`);
    const { rows } = await ctx.db.query('SELECT width, height FROM assets WHERE id = $1', [id]);
    if (width) t.same(rows[0], { width, height }, `${name}: dimensions`);
    const renditions = await renditionsOf(ctx, id);
    t.ok(renditions.some((r) => r.type === 'image/webp') && renditions.some((r) => r.type === 'image/jpeg'), `${name}: WebP renditions and a JPEG fallback`);
    // a PDF also has its public copy (document.pdf), checked in derive-document.test.ts
    for (const r of renditions.filter((x) => x.type.startsWith('image/'))) {
      const meta = await sharp(await objectBytes(ctx, r.key)).metadata();
      t.same([meta.format, meta.width, meta.height], [r.type === 'image/webp' ? 'webp' : 'jpeg', r.width, r.height], `${name} → ${r.name} decodes as recorded`);
      t.ok(Math.max(r.width, r.height) <= 2048, `${name} → ${r.name} is at most 2048 px`);
    }
    // the JPEG fallback is for social cards and downloads: 1200 px on the long edge, never upscaled
    const jpeg = renditions.filter((r) => r.type === 'image/jpeg');
    t.same(jpeg.map((r) => r.name), ['fallback.jpg'], `${name}: one JPEG, the fallback`);
    const longEdge = Math.max(jpeg[0]!.width, jpeg[0]!.height);
    if (width) t.equal(longEdge, Math.min(1200, Math.max(width, height)), `${name}: fallback.jpg is ${longEdge} px on the long edge`);
    else t.ok(longEdge <= 1200, `${name}: fallback.jpg is ${longEdge} px on the long edge`);
  }
  const cmyk = (await ctx.db.query("SELECT r.key FROM renditions r JOIN assets a ON a.id = r.asset_id WHERE a.original_filename = 'cmyk.jpg' AND r.name = 'medium.webp'")).rows[0];
  const reference = (await ctx.db.query("SELECT r.key FROM renditions r JOIN assets a ON a.id = r.asset_id WHERE a.original_filename = 'lossy.webp' AND r.name = 'medium.webp'")).rows[0];
  const d = difference(await fingerprint(await objectBytes(ctx, cmyk.key)), await fingerprint(await objectBytes(ctx, reference.key)));
  t.ok(d < 8, `a CMYK photo keeps its colours in sRGB (difference ${d.toFixed(1)})`);
});

t.test('a thermal camera TIFF (16-bit raw counts, IFD0 after its pixels) is accepted, shown with contrast, its GPS kept privately', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images']);
  const id = await uploadFile(ctx, 'tiff_dji-xt2_thermal-16bit_gps.tiff');
  t.equal((await ctx.db.query('SELECT mime_type FROM assets WHERE id = $1', [id])).rows[0].mime_type, 'image/tiff', 'typed from its header');
  const end = await settled(ctx, id);
  t.equal(end.status, 'ready', String(end.error));
  const { rows } = await ctx.db.query('SELECT width, height, private_latitude, private_longitude FROM assets WHERE id = $1', [id]);
  t.same([rows[0].width, rows[0].height], [640, 512]);
  t.ok(Math.abs(rows[0].private_latitude - 39.917) < 0.001 && Math.abs(rows[0].private_longitude + 2.825) < 0.001, 'GPS kept privately');
  const renditions = await renditionsOf(ctx, id);
  t.same(renditions.map((r) => r.name), ['fallback.jpg', 'medium.webp', 'thumb.webp'], 'never upscaled: 400 and the source size');
  for (const r of renditions) {
    const data = await objectBytes(ctx, r.key);
    const grey = (await sharp(data).greyscale().stats()).channels[0]!;
    // shown as stored, the raw counts 7534–8011 of 0–65535 are one flat grey (stdev ≈ 0.2)
    t.ok(grey.stdev > 30 && grey.max - grey.min > 200, `${r.name}: the scene has contrast (stdev ${grey.stdev.toFixed(1)}, ${grey.min}–${grey.max})`);
    const tags = Object.keys(await metadataTags(data, r.type === 'image/jpeg' ? 'jpg' : 'webp'));
    t.same(tags.filter((k) => /GPS|Make|Model|Serial|DateTime|drone|Camera/i.test(k)), [], `${r.name}: no tag of the original`);
  }

  // a 16-bit greyscale photograph using half of the range (a soft scan) is shown as it is
  const photo = await readFile(fixture('exif-orientation_1.jpg'));
  const full = await sharp(photo).toColourspace('grey16').png().toBuffer();
  const soft = await sharp(full).linear(0.5, 16384).toColourspace('grey16').png().toBuffer();
  t.equal((await sharp(soft).metadata()).depth, 'ushort');
  const plain = await uploadFile(ctx, 'grey16.png', soft);
  t.equal((await settled(ctx, plain)).status, 'ready');
  const shown = await fingerprint(await objectBytes(ctx, `renditions/${plain}/medium.webp`));
  const asStored = await fingerprint(await sharp(soft).png().toBuffer());
  const stretched = await fingerprint(await sharp(full).png().toBuffer());
  t.ok(difference(asStored, stretched) > 10, 'the fingerprint tells stretched tones from stored ones');
  t.ok(difference(shown, asStored) < 3, `tones as stored (difference ${difference(shown, asStored).toFixed(1)})`);
});

t.test('a HEIC with an alpha channel keeps it: its WebP renditions are transparent where it is, the JPEG fallback white', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-heic-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // a red 600×400 picture, its left half transparent, encoded by libheif's heif-enc (x265)
  const [w, h] = [600, 400];
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([220, 30, 30, i % w < w / 2 ? 0 : 255], i * 4);
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(path.join(dir, 'src.png'));
  await promisify(execFile)('heif-enc', ['-q', '80', path.join(dir, 'src.png'), '-o', path.join(dir, 'alpha.heic')]);

  const id = await uploadFile(ctx, 'alpha.heic', await readFile(path.join(dir, 'alpha.heic')));
  t.equal((await ctx.db.query('SELECT mime_type FROM assets WHERE id = $1', [id])).rows[0].mime_type, 'image/heic');
  const end = await settled(ctx, id);
  t.equal(end.status, 'ready', String(end.error));
  const at = async (key: string, x: number) => {
    const { data, info } = await sharp(await objectBytes(ctx, key)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const p = (Math.floor(info.height / 2) * info.width + Math.floor(info.width * x)) * info.channels;
    return [...data.subarray(p, p + 4)];
  };
  for (const r of (await renditionsOf(ctx, id)).filter((r) => r.type === 'image/webp')) {
    t.ok((await sharp(await objectBytes(ctx, r.key)).metadata()).hasAlpha, `${r.name} has alpha`);
    const [left, right] = [await at(r.key, 0.25), await at(r.key, 0.75)];
    t.ok(left[3]! < 10 && right[3]! > 245, `${r.name}: transparent left (${left}), opaque right (${right})`);
  }
  const [white] = [await at(`renditions/${id}/fallback.jpg`, 0.25)];
  t.ok(white.slice(0, 3).every((c) => c > 245), `the JPEG is white where the photo is transparent (${white})`);
});

t.test('a pixel bomb is refused at upload from its header with 422, and again by the worker', async (t) => {
  const ctx = await createTestContext(t, { env: { IMAGE_MAX_PIXELS: String(40_000_000) } });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const bomb = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#808080' } }).png({ compressionLevel: 9 }).toBuffer();
  const form = multipart([{ name: 'file', filename: 'bomb.png', body: bomb }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 422);
  t.equal(res.json().code, 'LAMHA_PIXEL_LIMIT');
  t.match(res.json().message, /8000×6000/);
  t.same(await ctx.storage.list(''), [], 'nothing stored');

  // one that reached storage some other way (e.g. a limit lowered later) fails in the worker, once
  await ctx.db.query('SELECT 1');
  const small = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } }).png().toBuffer();
  const id = await uploadFile(ctx, 'small.png', small);
  await settled(ctx, id);
  // the row is ready a moment before BullMQ marks the job done; a job still active is not removed
  const first = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  await waitFor(async () => (await first!.getState()) === 'completed');
  await ctx.db.query("UPDATE assets SET status = 'processing' WHERE id = $1", [id]);
  await ctx.storage.put(`originals/${id}`, bomb);
  // the first job may still hold its lock for a moment after the row says ready: BullMQ then
  // keeps it (remove answers 0) and ignores a new job of the same id
  t.ok(await waitFor(async () => (await ctx.queues.queues.images.remove(`derive-image-${id}`)) === 1), 'the first job is removed');
  await ctx.queues.enqueue('derive-image', { assetId: id });
  const end = await settled(ctx, id);
  t.equal(end.status, 'failed');
  t.match(end.error, /^LAMHA_PIXEL_LIMIT: .*8000×6000.*limit/);
  const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  await waitFor(async () => (await job!.getState()) === 'failed');
  t.equal((await ctx.queues.queues.images.getJob(`derive-image-${id}`))?.attemptsStarted, 1, 'not retried');
});

t.test('a truncated or corrupt file ends failed with a reason the API shows, without retries', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const editor = await ctx.mint('editor', 'conf');
  const photo = await readFile(fixture('exif-orientation_1.jpg'));
  const heic = await readFile(fixture('heic_iphone7plus_gps_rot90.heic'));
  for (const [name, body] of [['truncated.jpg', photo.subarray(0, photo.length / 3)], ['corrupt.heic', Buffer.concat([heic.subarray(0, 4096), Buffer.alloc(60_000, 0x5a)])]] as const) {
    const id = await uploadFile(ctx, name, body);
    const end = await settled(ctx, id);
    t.equal(end.status, 'failed', name);
    const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: ctx.auth(editor) })).json();
    t.equal(asset.status, 'failed');
    t.match(asset.error, /^LAMHA_UNDECODABLE: \S.{20,}/, `${name}: a coded reason (${asset.error})`);
    t.equal((await ctx.queues.queues.images.getJob(`derive-image-${id}`))?.attemptsStarted, 1, `${name}: not retried`);
    t.same(await renditionsOf(ctx, id), [], `${name}: no renditions`);
    t.same((await ctx.storage.list(`renditions/${id}/`)), [], `${name}: no rendition objects`);
  }
});

t.test('a transient storage error is retried with backoff and the asset becomes ready', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const workers = runWorkers(t, ctx, ['images']);
  const real = workers.deps.storage.get.bind(workers.deps.storage);
  let failures = 0;
  // fault injection into the real adapter: the first read of the original fails as S3 would
  workers.deps.storage.get = async (key, range) => {
    if (key.startsWith('originals/') && failures++ === 0) {
      const { StorageUnavailableError } = await import('../../src/errors.js');
      throw new StorageUnavailableError('SlowDown: please reduce your request rate');
    }
    return real(key, range);
  };
  const id = await uploadFile(ctx, 'exif-orientation_3.jpg');
  const end = await settled(ctx, id);
  t.equal(end.status, 'ready');
  const job = await ctx.queues.queues.images.getJob(`derive-image-${id}`);
  t.equal(job?.attemptsStarted, 2, 'one failed attempt, then success');
});

t.test('re-running a finished job changes nothing; an asset deleted meanwhile is skipped', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const workers = runWorkers(t, ctx, ['images']);
  const id = await uploadFile(ctx, 'exif-orientation_5.jpg');
  t.equal((await settled(ctx, id)).status, 'ready');
  const before = { rows: await renditionsOf(ctx, id), objects: await ctx.storage.list(''), asset: (await ctx.db.query('SELECT updated_at FROM assets WHERE id = $1', [id])).rows[0] };
  const fakeJob = (assetId: string) => ({ data: { assetId }, attemptsMade: 0, opts: { attempts: 1 }, updateProgress: async () => {} }) as never;
  t.equal(await deriveImageJob(fakeJob(id), workers.deps), 'skipped: already done');
  t.same({ rows: await renditionsOf(ctx, id), objects: await ctx.storage.list(''), asset: (await ctx.db.query('SELECT updated_at FROM assets WHERE id = $1', [id])).rows[0] }, before);
  t.equal(await deriveImageJob(fakeJob('00000000-0000-4000-8000-000000000000'), workers.deps), 'skipped: the asset no longer exists');
});

t.test('an asset that becomes ready is announced on Redis pub/sub, with progress visible meanwhile', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  const { rows } = await ctx.db.query<{ id: string }>("SELECT id FROM events WHERE slug = 'conf'");
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => subscriber.disconnect());
  const messages: unknown[] = [];
  await subscriber.subscribe(liveChannel(ctx.config.redisPrefix, rows[0]!.id));
  subscriber.on('message', (_channel, message) => messages.push(JSON.parse(message)));
  const id = await uploadFile(ctx, 'png_rgba_alpha.png');
  runWorkers(t, ctx, ['images']);
  t.equal((await settled(ctx, id)).status, 'ready');
  // the message follows the row's update: wait for it rather than for a fixed while
  t.ok(await waitFor(() => messages.length > 0, 10_000), 'a message arrived');
  t.match(messages, [{ type: 'asset.ready', assetId: id }]);
  const { rows: a } = await ctx.db.query('SELECT progress FROM assets WHERE id = $1', [id]);
  t.equal(a[0].progress, 100);
});

t.test('renditions are served at /media/:id/:name to the public only for published, visible assets', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  const id = await uploadFile(ctx, 'exif-orientation_1.jpg');
  t.equal((await settled(ctx, id)).status, 'ready');
  const asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  t.same(Object.keys(asset.renditions).sort(), ['fallback.jpg', 'medium.webp', 'thumb.webp']);
  t.match(asset.renditions['thumb.webp'].url, new RegExp(`^http://gallery\\.test/media/${id}/thumb\\.webp\\?v=[0-9a-z]+$`), 'a versioned URL');
  const res = await ctx.app.inject({ url: `/media/${id}/thumb.webp` });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/webp');
  t.match(res.headers['cache-control'], /public/);
  t.ok(res.rawPayload.equals(await objectBytes(ctx, `renditions/${id}/thumb.webp`)), 'the bytes of the rendition');
  t.equal((await ctx.app.inject({ url: `/media/${id}/original` })).statusCode, 404, 'no original through /media');
  const traversal = await ctx.app.inject({ url: `/media/${id}/../originals/${id}` });
  t.ok([400, 404].includes(traversal.statusCode), `no way up to originals (${traversal.statusCode})`);
  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [id]);
  t.equal((await ctx.app.inject({ url: `/media/${id}/thumb.webp` })).statusCode, 404, 'hidden: 404 to the public');
  const editor = await ctx.mint('editor', 'conf');
  const own = await ctx.app.inject({ url: `/media/${id}/thumb.webp`, headers: ctx.auth(editor) });
  t.equal(own.statusCode, 200, 'the event\'s editor still gets it');
  t.match(own.headers['cache-control'], /private/);
});
