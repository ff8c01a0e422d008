import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ExifTool, type WriteTags } from 'exiftool-vendored';
import t from 'tap';
import { createMetadataReader, type PhotoMetadata } from '../../src/media/metadata.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.join(here, '..', 'fixtures', name);

const reader = createMetadataReader({ timeoutMs: 20_000 });
// writes the files no camera gave us (Arabic captions, a drone without EXIF GPS)
const writer = new ExifTool({ maxProcs: 1 });
const work = await mkdtemp(path.join(tmpdir(), 'lamha-metadata-'));
t.teardown(async () => {
  await reader.close();
  await writer.end();
  await rm(work, { recursive: true, force: true });
});

/** A copy of a fixture in the temp dir, changed by exiftool with `tags` and extra arguments. */
async function rewritten(name: string, as: string, tags: Record<string, string>, writeArgs: string[] = []): Promise<string> {
  const file = path.join(work, as);
  await copyFile(fixture(name), file);
  await writer.write(file, tags as WriteTags, { writeArgs: ['-overwrite_original', ...writeArgs] });
  return file;
}

/** Everything but the location, as the public could ever see it. */
function publicPart(m: PhotoMetadata): string {
  return JSON.stringify({ ...m, location: undefined });
}

t.test('takes the capture offset the phone stored (OffsetTimeOriginal +08:00, vivo X90 Pro+)', async (t) => {
  const m = await reader.read(fixture('jpeg_vivo-x90pro_gps_offsettime.jpg'));
  t.equal(m.capturedAt?.toISOString(), '2023-07-09T12:36:33.616Z', '20:36:33.616 at +08:00');
  t.equal(m.capturedOffset, '+08:00');
  t.same(m.camera, { make: 'vivo', model: 'vivo X90 Pro+' });
  t.same(m.exposure, { exposureTime: '1/100', fNumber: 1.75, iso: 454, focalLength: 8.67 });
  t.equal(m.width, 3072);
  t.equal(m.height, 4096);
  t.equal(m.location?.latitude.toFixed(4), '22.5311');
  t.equal(m.location?.longitude.toFixed(4), '114.0215');
});

t.test('never derives the offset from GPS time when the camera stored none, and reads the lens (iPhone 4S)', async (t) => {
  const m = await reader.read(fixture('jpeg_iphone-4s_gps.jpg'));
  // 15:03:47.880 on the phone's clock, 13:03:42.79 UTC from the satellites: +02:00 would follow,
  // and a zone is a band of the earth
  t.equal(m.capturedOffset, null, 'no offset in the file, none made up');
  t.equal(m.capturedAt?.toISOString(), '2014-09-01T15:03:47.880Z', 'the wall clock, as if UTC');
  t.same(m.camera, { make: 'Apple', model: 'iPhone 4S' });
  t.equal(m.lens, 'iPhone 4S back camera 4.28mm f/2.4');
  t.same(m.exposure, { exposureTime: '1/1284', fNumber: 2.4, iso: 50, focalLength: 4.28 });
  t.equal(m.orientation, 6);
  t.same([m.width, m.height], [102, 205], 'stored 205x102, shown turned a quarter');
  t.equal(m.location?.altitude, 29);
  t.equal(m.location?.latitude.toFixed(4), '59.3325');
  t.equal(m.location?.longitude.toFixed(4), '18.0649');
});

t.test('takes the offset the file states on its XMP date, not the one its GPS time implies (Nikon D2X)', async (t) => {
  const m = await reader.read(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg'));
  // XMP says 09:41:07.72+01:00 (the editor's zone); GPS says 13:40:26Z, i.e. -04:00: Washington
  t.equal(m.capturedOffset, '+01:00');
  t.equal(m.capturedAt?.toISOString(), '2009-06-24T08:41:07.720Z');
});

t.test('gives no offset from GPS time even when it differs from the wall clock by a real zone', async (t) => {
  // a phone clock and a GPS fix four and a half hours apart (Kabul), with no offset field
  const file = await rewritten('jpeg_kodak-cx7530_gps-southern.jpg', 'gps-time.jpg', {
    'ExifIFD:DateTimeOriginal': '2026:12:01 14:30:05', 'GPS:GPSDateStamp': '2026:12:01', 'GPS:GPSTimeStamp': '10:00:02',
  }, ['-ExifIFD:OffsetTime*=', '-XMP:all=', '-IPTC:all=']);
  const m = await reader.read(file);
  t.equal(m.capturedOffset, null);
  t.equal(m.capturedAt?.toISOString(), '2026-12-01T14:30:05.000Z', 'the wall clock, as if UTC');
  t.notMatch(publicPart(m), /04:30|10:00:02|T10:00/, 'nothing of the GPS time outside location');

  // with no wall-clock time at all, the dated GPS time is the instant, and still no offset
  const gpsOnly = await reader.read(await rewritten('jpeg_kodak-cx7530_gps-southern.jpg', 'gps-time-only.jpg', {
    'GPS:GPSDateStamp': '2026:12:01', 'GPS:GPSTimeStamp': '10:00:02',
  }, ['-ExifIFD:DateTimeOriginal=', '-ExifIFD:CreateDate=', '-IFD0:ModifyDate=', '-XMP:all=', '-IPTC:all=']));
  t.equal(gpsOnly.capturedAt?.toISOString(), '2026-12-01T10:00:02.000Z');
  t.equal(gpsOnly.capturedOffset, null);
});

t.test('publishes no name, copyright, comment or serial a camera body wrote into EXIF (Canon 600D without IPTC/XMP)', async (t) => {
  // the camera's owner name "Patrik" is in IFD0:Artist; the body's and lens's serials in ExifIFD
  const file = await rewritten('jpeg_canon-600d_gps_iptc_xmp.jpg', 'canon-exif-only.jpg', {
    'IFD0:Copyright': 'Copyright Patrik Owner', 'ExifIFD:OwnerName': 'Patrik Owner', 'IFD0:ImageDescription': 'Camera of Patrik Owner',
  }, ['-XMP:all=', '-IPTC:all=', '-Photoshop:all=']);
  const raw = await writer.readRaw(file, { readArgs: ['-G1', '-a', '-IFD0:all', '-ExifIFD:all', '-XMP:all', '-IPTC:all'] });
  t.match(raw, {
    'IFD0:Artist': 'Patrik', 'IFD0:Copyright': 'Copyright Patrik Owner', 'IFD0:ImageDescription': 'Camera of Patrik Owner',
    'ExifIFD:OwnerName': 'Patrik Owner', 'ExifIFD:SerialNumber': '123063022888', 'ExifIFD:LensSerialNumber': '0000129324',
  }, 'the file carries them');
  t.notOk(Object.keys(raw).some((k) => /^(XMP|IPTC)/.test(k)), 'and no IPTC or XMP');
  const m = await reader.read(file);
  t.equal(m.credit, null, 'EXIF Artist is no credit');
  t.equal(m.copyright, null, 'EXIF Copyright is no copyright');
  t.same(m.caption, {}, 'EXIF ImageDescription is no caption');
  t.same(m.camera, { make: 'Canon', model: 'Canon EOS 600D' }, 'the model is still read');
  t.notMatch(publicPart(m), /Patrik|Owner|123063022888|0000129324/, 'no name or serial anywhere');
});

t.test('imports caption, headline, credit, copyright and keywords from IPTC/XMP, "©" intact (IPTC sample photo)', async (t) => {
  const m = await reader.read(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg'));
  t.equal(m.copyright, '©2009 Julie Doe / Mugwum Press, all rights reserved');
  t.equal(m.credit, 'Julie Doe');
  t.equal(m.headline, 'Lincoln Memorial');
  t.equal(m.title, 'drp2091169d');
  t.same(Object.keys(m.caption), ['x-default']);
  t.match(m.caption['x-default'], /^This statue of the 16th President of the United States depicts a 19 foot high seated Abraham Lincoln/);
  t.equal(m.keywords.length, 34);
  t.same(m.keywords.slice(0, 3), ['North America', 'United States of America', 'America']);
  t.ok(m.keywords.includes('Lincoln Memorial'));
  t.same(m.camera, { make: 'NIKON CORPORATION', model: 'NIKON D2X' });
  t.equal(m.lens, '70.0-200.0 mm f/2.8');
});

t.test('reads the Latin-1 IPTC "©" right when no XMP is there to prefer', async (t) => {
  const file = await rewritten('jpeg_nikon-d2x_gps_iptc_xmp.jpg', 'd2x-iptc-only.jpg', {}, ['-XMP:all=', '-EXIF:Copyright=', '-EXIF:Artist=']);
  const m = await reader.read(file);
  t.equal(m.copyright, '©2009 Julie Doe / Mugwum Press, all rights reserved');
  t.equal(m.credit, 'Julie Doe', 'IPTC By-line');
  t.equal(m.headline, 'Lincoln Memorial');
  t.equal(m.keywords.length, 34);
});

t.test('reads "leçon" right from UTF-8 XMP, and from Latin-1 IPTC without a declared charset', async (t) => {
  const m = await reader.read(fixture('jpeg_iptc-latin1_xmp-utf8_nonascii.jpg'));
  t.match(m.caption['x-default'], /\(Sais-tu ta leçon\?: Costumes tailleur de fantaisie de Jeanne Lanvin\)/);
  t.equal(m.headline, 'Do you know your lesson?: Tailored ensembles imagined by Jeanne Lanvin');
  t.equal(m.title, 'Do you know your lesson?');
  t.equal(m.credit, 'Allan Kohl');
  t.equal(m.copyright, 'publicDomain');
  t.same(m.keywords.slice(0, 2), ['illustrations (layout features)', 'fashion illustrations']);
  t.equal(m.camera, null);
  t.equal(m.location, null);

  const iptcOnly = await reader.read(await rewritten('jpeg_iptc-latin1_xmp-utf8_nonascii.jpg', 'bonton-iptc-only.jpg', {}, ['-XMP:all=', '-EXIF:ImageDescription=']));
  t.match(iptcOnly.caption['x-default'], /\(Sais-tu ta leçon\?: /, 'from IPTC Caption-Abstract');
  t.notMatch(iptcOnly.caption['x-default'], /Ã|\uFFFD/, 'no mojibake');
});

t.test('round-trips Arabic and Kurdish captions through XMP language alternatives', async (t) => {
  const file = await rewritten('jpeg_iphone-4s_gps.jpg', 'arabic.jpg', {
    'XMP-dc:Description': 'Opening of the conference',
    'XMP-dc:Description-ar': 'افتتاح المؤتمر',
    'XMP-dc:Description-en': 'Opening of the conference',
    'XMP-dc:Description-ckb': 'کردنەوەی کۆنفرانس',
    'XMP-dc:Creator': 'ليلى أحمد',
    'IPTC:By-line': 'ليلى أحمد',
    'IPTC:CodedCharacterSet': 'UTF8',
  }, ['-charset', 'iptc=UTF8']);
  const m = await reader.read(file);
  t.same(m.caption, {
    'x-default': 'Opening of the conference',
    ar: 'افتتاح المؤتمر',
    en: 'Opening of the conference',
    ckb: 'کردنەوەی کۆنفرانس',
  });
  t.equal(m.credit, 'ليلى أحمد');
});

t.test('reads UTF-8 IPTC that does not declare its character set (Arabic by-line and caption)', async (t) => {
  const file = await rewritten('jpeg_iphone-4s_gps.jpg', 'arabic-iptc.jpg', {
    'IPTC:By-line': 'ليلى أحمد',
    'IPTC:Caption-Abstract': 'افتتاح المؤتمر',
  }, ['-charset', 'iptc=UTF8']);
  const raw = await writer.readRaw(file, { readArgs: ['-IPTC:all'] });
  t.notOk('CodedCharacterSet' in raw, 'the file does not say UTF-8');
  const m = await reader.read(file);
  t.equal(m.credit, 'ليلى أحمد');
  t.same(m.caption, { 'x-default': 'افتتاح المؤتمر' });
});

t.test('finds IPTC place names left in a file, and removes them (City, Sub-location, ContentLocationName)', async (t) => {
  const file = await rewritten('jpeg_kodak-cx7530_gps-southern.jpg', 'iptc-places.jpg', {
    'IPTC:City': 'Paris', 'IPTC:Sub-location': 'Salle 2', 'IPTC:ContentLocationName': 'Paris', 'IPTC:Caption-Abstract': 'Panel',
  });
  const found = await reader.findPrivate(file, { embedded: false });
  for (const tag of ['IPTC:IPTC:City', 'IPTC:IPTC:Sub-location', 'IPTC:IPTC:ContentLocationName', 'EXIF:GPS:GPSLatitude']) t.ok(found.includes(tag), `${tag} found`);
  t.notOk(found.some((tag) => tag.endsWith(':Caption-Abstract')), 'a caption is no place');
  t.ok(await reader.removePrivate(file));
  t.same(await reader.findPrivate(file, { embedded: false }), [], 'none left');
  t.same((await reader.read(file)).caption, { 'x-default': 'Panel' }, 'the caption stays');
});

t.test('checkAndRead gives, in one exiftool run, what findPrivate and read give: every image fixture, as uploaded and cleaned', async (t) => {
  const images = (await readdir(fixture('.'))).filter((n) => /\.(jpe?g|heic|avif|tiff?|png|gif|webp)$/.test(n));
  t.ok(images.length >= 25, `${images.length} image fixtures`);
  for (const name of images) {
    const cleaned = path.join(work, `checked-${name}`);
    await copyFile(fixture(name), cleaned);
    await reader.removePrivate(cleaned);
    for (const [file, how] of [[fixture(name), 'as uploaded'], [cleaned, 'cleaned']] as const) {
      const both = await reader.checkAndRead(file);
      t.same(both.privateTags, await reader.findPrivate(file, { embedded: true }), `${name} ${how}: the private tags`);
      t.same(both.metadata, await reader.read(file), `${name} ${how}: the metadata`);
    }
  }
  t.ok((await reader.checkAndRead(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg'))).privateTags.includes('IPTC:IPTC:City'), 'a place name in IPTC is among them');
  await t.rejects(reader.checkAndRead(fixture('mp4_h264_aac_imovie.mp4')), /not an image/);
});

t.test('keeps GPS in location only: decimal degrees, negative south and west', async (t) => {
  const south = await reader.read(fixture('jpeg_kodak-cx7530_gps-southern.jpg'));
  t.equal(south.location?.latitude, -0.3713);
  t.equal(south.location?.longitude.toFixed(4), '36.0564');
  t.equal(south.location?.altitude, null);

  const west = await reader.read(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'));
  t.equal(west.location?.latitude.toFixed(5), '37.87109');
  t.equal(west.location?.longitude.toFixed(5), '-122.25678');
  t.equal(west.location?.altitude, 90);
  t.notMatch(publicPart(west), /37\.87|122\.25/, 'no coordinate outside location');
  t.same(west.caption, { 'x-default': 'Squirrel at berkely' });
  t.equal(west.credit, 'Patrik');
  t.same(west.keywords, ['Alvin the Squirrel', 'Berkley', 'USA']);
  t.equal(west.lens, 'EF-S15-85mm f/3.5-5.6 IS USM');
  t.equal(west.capturedOffset, null, 'no offset in the file: the position is not used to guess one');
  t.equal(west.capturedAt?.toISOString(), '2015-06-11T10:29:26.690Z', 'the wall clock, as if UTC');
});

t.test('gives no location, and no error, for GPS written as text or left empty', async (t) => {
  const ascii = await reader.read(fixture('jpeg_htc-one-m8_gps-as-ascii.jpg'));
  t.equal(ascii.location, null, '"52,00000,50,00000,34,01180" is not a position to trust');
  t.same(ascii.camera, { make: 'HTC', model: 'HTC One_M8' }, 'from ExifIFD when IFD0 Make is empty');
  t.equal(ascii.capturedAt?.toISOString(), '2014-04-26T19:09:19.000Z');
  t.equal(ascii.capturedOffset, null, 'its GPS time is text too');

  const empty = await reader.read(fixture('jpeg_canon-30d_progressive_empty-gps.jpg'));
  t.equal(empty.location, null);
  t.same(empty.camera, { make: 'Canon', model: 'Canon EOS 30D' });
  t.equal(empty.headline, 'Palace of Culture and Science');
  t.same([empty.width, empty.height], [600, 900]);
});

t.test("takes a drone's own XMP position, and ignores its placeholder description", async (t) => {
  const m = await reader.read(fixture('jpeg_hasselblad-l1d20c_drone_gps.jpg'));
  t.equal(m.location?.latitude.toFixed(5), '47.35418');
  t.same(m.caption, {}, 'ImageDescription "default" is no caption');
  t.same(m.camera, { make: 'Hasselblad', model: 'L1D-20c' });

  const xmpOnly = await reader.read(await rewritten('jpeg_hasselblad-l1d20c_drone_gps.jpg', 'drone.jpg', {}, ['-GPS:all=']));
  t.same(xmpOnly.location, { latitude: 47.3541841, longitude: 10.1913155, altitude: 1252.12 });
});

t.test('reads an iPhone HEIC: camera, lens, capture time and GPS', async (t) => {
  const m = await reader.read(fixture('heic_iphone-xs-max_gps.heic'));
  t.same(m.camera, { make: 'Apple', model: 'iPhone XS Max' });
  t.equal(m.lens, 'iPhone XS Max back dual camera 4.25mm f/1.8');
  // iOS 12 stored no offset; its GPS time (03:57:22.64Z) would imply +07:00, which is not used
  t.equal(m.capturedAt?.toISOString(), '2019-08-21T10:57:23.345Z', 'the wall clock, as if UTC');
  t.equal(m.capturedOffset, null);
  t.same([m.width, m.height], [4032, 3024]);
  t.equal(m.location?.latitude.toFixed(4), '7.8314');
  t.equal(m.location?.longitude.toFixed(4), '98.2967');
  t.equal(m.location?.altitude?.toFixed(1), '12.8');
});

t.test('gives the displayed size of a HEIC its irot turns (iPhone 7 Plus)', async (t) => {
  const m = await reader.read(fixture('heic_iphone7plus_gps_rot90.heic'));
  t.same([m.width, m.height], [3024, 4032]);
  t.equal(m.orientation, 6);
  t.equal(m.capturedOffset, null, 'no offset in the file; its GPS time is not used to make one');
  t.equal(m.location?.longitude.toFixed(4), '-71.0769');
});

t.test('reads the EXIF inside an AVIF (iPhone 12 Pro)', async (t) => {
  const m = await reader.read(fixture('avif_iphone12pro_exif_gps.avif'));
  t.same(m.camera, { make: 'Apple', model: 'iPhone 12 Pro' });
  t.equal(m.lens, 'iPhone 12 Pro back triple camera 4.2mm f/1.6');
  t.equal(m.capturedAt?.toISOString(), '2022-07-22T13:26:32.092Z');
  t.equal(m.capturedOffset, '+08:00');
  t.same([m.width, m.height], [192, 256]);
  t.equal(m.location?.latitude.toFixed(4), '43.2901');
  t.equal(m.location?.longitude.toFixed(4), '84.2271');
  t.equal(Math.round(m.location?.altitude ?? 0), 1596);
});

t.test('reads IPTC/XMP keywords and copyright from a TIFF', async (t) => {
  const m = await reader.read(fixture('tiff_canon-5d3_iptc_xmp_prophoto-icc.tif'));
  t.same(m.keywords, ['DLM_Dalaman', 'Dalyan', 'Europe', 'Geographic Keywords', 'Image Source', 'Jet2.com_Keywords', 'Photographer - Gavin Priestley', 'Turkey']);
  t.equal(m.copyright, 'JET2HOLIDAYS');
  t.same(m.camera, { make: 'Canon', model: 'Canon EOS 5D Mark III' });
  t.equal(m.lens, 'EF70-200mm f/2.8L USM');
  t.same([m.width, m.height], [35, 23]);
  t.equal(m.capturedAt?.toISOString(), '2013-09-07T06:45:12.000Z');
});

t.test('reads a file by its bytes, without an extension, as the worker stores it', async (t) => {
  const file = path.join(work, 'original');
  await copyFile(fixture('avif_iphone12pro_exif_gps.avif'), file);
  const m = await reader.read(file);
  t.same(m.camera, { make: 'Apple', model: 'iPhone 12 Pro' });
});

t.test('returns empty metadata, not an error, for an image that carries none', async (t) => {
  const m = await reader.read(fixture('png_rgba_alpha.png'));
  t.same(m, {
    capturedAt: null, capturedOffset: null, width: 2048, height: 1536, orientation: null, camera: null, lens: null,
    exposure: null, caption: {}, headline: null, title: null, credit: null, copyright: null, keywords: [], location: null,
  });
});

t.test('rejects a text file, an empty file and a missing file with a clear error', async (t) => {
  const text = path.join(work, 'notes.jpg');
  await writeFile(text, 'minutes of the panel\n');
  await t.rejects(reader.read(text), { message: /notes\.jpg: not an image \(it is TXT\)/ });
  const empty = path.join(work, 'empty.jpg');
  await writeFile(empty, '');
  await t.rejects(reader.read(empty), { message: /empty\.jpg: not an image \(File is empty\)/ });
  await t.rejects(reader.read(path.join(work, 'missing.jpg')), { message: /missing\.jpg: File not found/ });
  await t.rejects(reader.read(work), { message: /it is a directory/ });
});

t.test('gives up on a read that hangs after its timeout, keeps working, and refuses reads once closed', async (t) => {
  const fifo = path.join(work, 'never-written.jpg');
  await promisify(execFile)('mkfifo', [fifo]);
  // 5 s, not less: the exiftool that takes over starts perl afresh, slow on a loaded machine
  const quick = createMetadataReader({ timeoutMs: 5000, maxProcs: 1 });
  t.teardown(() => quick.close());
  const started = Date.now();
  await t.rejects(quick.read(fifo), { message: /never-written\.jpg: exiftool took longer than 5000 ms/ });
  t.ok(Date.now() - started < 30_000, 'within the timeout, not the test runner’s');
  const m = await quick.read(fixture('jpeg_iphone-4s_gps.jpg'));
  t.equal(m.camera?.model, 'iPhone 4S', 'a new exiftool took over');
  await quick.close();
  await t.rejects(quick.read(fixture('jpeg_iphone-4s_gps.jpg')), { message: /the metadata reader is closed/ });
});
