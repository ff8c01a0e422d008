/**
 * bench/load's inputs, all made from the real fixtures of test/fixtures, each distinct (its own
 * SHA-256: duplicate detection must not collapse any two):
 *
 *  - large files: what photographers send that large, a camera's video. bench/video-clip.ts's
 *    1080p30 camera-like clip (H.264 High at a camera's bit rate, AAC), `seconds` long at the
 *    bit rate that makes it about `megabytes` MB, made once and cached. Input i is that clip with
 *    one more top-level box at its end: an ISO BMFF `free` box (padding, which every reader skips)
 *    holding "lamha-load <i>". So the 50 are 50 distinct files, the same media, sent from the one
 *    cached clip without 50 copies on disk.
 *  - small photos: the camera JPEGs of the fixtures in turn (a 12.6 MP phone photo, DSLR and
 *    compact photos, EXIF orientations), each re-encoded by sharp with its metadata kept (EXIF with
 *    GPS, IPTC, XMP: the privacy path runs as for a real photo), cropped by a few pixels and at a
 *    quality of its own, so no two are alike. Cached in bench/results/.cache/load/.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { log, ROOT } from './harness.js';
import { makeClip } from './video-clip.js';

/** bump when the photos' recipe changes, so cached photos are remade */
const PHOTO_RECIPE = 1;
const CACHE = path.join(ROOT, 'bench/results/.cache/load');
const FIXTURES = path.join(ROOT, 'test/fixtures');

/** Camera JPEGs among the fixtures; the 12.6 MP phone photo comes once in each round. */
const PHOTO_SOURCES = [
  'jpeg_vivo-x90pro_gps_offsettime.jpg', // 3072×4096, 3.9 MB
  'jpeg_canon-600d_gps_iptc_xmp.jpg', // 1394×930
  'jpeg_nikon-d2x_gps_iptc_xmp.jpg', // 527×350
  'jpeg_canon-30d_progressive_empty-gps.jpg', // 600×900 progressive
  'exif-orientation_6.jpg', // 450×600 stored, EXIF orientation 6
  'exif-orientation_3.jpg',
  'jpeg_iptc-latin1_xmp-utf8_nonascii.jpg', // 300×379 scan
  'exif-orientation_1.jpg', // 600×450
] as const;

/** One input of the load: where its bytes come from, how many, and their SHA-256. */
export interface LoadInput {
  name: string;
  kind: 'large' | 'small';
  filename: string;
  type: string;
  bytes: number;
  sha256: string;
  chunks: () => AsyncIterable<Buffer>;
}

function photoFile(i: number): string {
  return path.join(CACHE, `photos-r${PHOTO_RECIPE}`, `photo-${String(i).padStart(4, '0')}.jpg`);
}

async function makePhoto(i: number): Promise<void> {
  const file = photoFile(i);
  if (existsSync(file)) return;
  const source = path.join(FIXTURES, PHOTO_SOURCES[i % PHOTO_SOURCES.length]!);
  const round = Math.floor(i / PHOTO_SOURCES.length);
  const { width, height } = await sharp(source).metadata();
  // 1–16 px off the right and bottom edges, and a quality of 78–96: every photo its own bytes
  const crop = 1 + (round % 16);
  await sharp(source)
    .extract({ left: 0, top: 0, width: width! - crop, height: height! - (1 + ((round >> 4) % 8)) })
    .keepMetadata()
    .jpeg({ quality: 78 + (round % 19) })
    .toFile(`${file}.part.jpg`);
  renameSync(`${file}.part.jpg`, file);
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** `count` distinct photos, made (two at a time) or taken from the cache. */
export async function smallInputs(count: number, offset = 0): Promise<LoadInput[]> {
  mkdirSync(path.dirname(photoFile(0)), { recursive: true });
  const t0 = performance.now();
  const limit = pLimit(2);
  const indexes = Array.from({ length: count }, (_, k) => offset + k);
  const missing = indexes.filter((i) => !existsSync(photoFile(i)));
  if (missing.length > 0) log(`making ${missing.length} photos from test/fixtures (cached afterwards): ${path.relative(ROOT, path.dirname(photoFile(0)))}`);
  await Promise.all(missing.map((i) => limit(() => makePhoto(i))));
  if (missing.length > 0) log(`  made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return indexes.map((i) => {
    const file = photoFile(i);
    return {
      name: `photo-${i}`, kind: 'small', filename: `DSC_${String(i).padStart(4, '0')}.JPG`, type: 'image/jpeg',
      bytes: statSync(file).size, sha256: sha256File(file), chunks: () => createReadStream(file, { highWaterMark: 256 * 1024 }),
    };
  });
}

function largePhotoFile(i: number, megabytes: number): string {
  return path.join(CACHE, `large-photos-r${PHOTO_RECIPE}-${megabytes}mb`, `large-${String(i).padStart(3, '0')}.tif`);
}

/**
 * `count` distinct camera originals of about `megabytes` MB: the fixtures' 12.6 MP phone photo
 * resized (Lanczos) to the pixels an uncompressed 8-bit RGB TIFF of that size holds (16.7 MP
 * for 50 MB, an editor's export of a 16–24 MP camera's photo), its EXIF/GPS kept, each cropped
 * by a few pixels of its own. Made two at a time and cached.
 */
export async function largePhotoInputs(count: number, megabytes: number): Promise<LoadInput[]> {
  const source = path.join(FIXTURES, PHOTO_SOURCES[0]);
  const { width: w0, height: h0 } = await sharp(source).metadata();
  const pixels = (megabytes * 1e6) / 3;
  const height = Math.round(Math.sqrt((pixels * h0!) / w0!));
  const width = Math.round((height * w0!) / h0!);
  mkdirSync(path.dirname(largePhotoFile(0, megabytes)), { recursive: true });
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !existsSync(largePhotoFile(i, megabytes)));
  if (missing.length > 0) log(`making ${missing.length} ${width}×${height} TIFFs from test/fixtures (cached afterwards): ${path.relative(ROOT, path.dirname(largePhotoFile(0, megabytes)))}`);
  const limit = pLimit(2);
  await Promise.all(missing.map((i) => limit(async () => {
    const file = largePhotoFile(i, megabytes);
    await sharp(source).resize(width, height, { kernel: 'lanczos3' })
      .extract({ left: 0, top: 0, width: width - (1 + (i % 16)), height: height - (1 + Math.floor(i / 16)) })
      .keepMetadata().tiff({ compression: 'none' }).toFile(`${file}.part.tif`);
    renameSync(`${file}.part.tif`, file);
  })));
  return Array.from({ length: count }, (_, i): LoadInput => {
    const file = largePhotoFile(i, megabytes);
    return {
      name: `tiff-${i}`, kind: 'large', filename: `EXPORT_${String(i).padStart(3, '0')}.TIF`, type: 'image/tiff',
      bytes: statSync(file).size, sha256: sha256File(file), chunks: () => createReadStream(file, { highWaterMark: 1024 * 1024 }),
    };
  });
}

/** The ISO BMFF `free` box that makes large input `i` its own file. */
function freeBox(i: number): Buffer {
  const payload = Buffer.from(`lamha-load ${i}`);
  const box = Buffer.alloc(8 + payload.length);
  box.writeUInt32BE(box.length, 0);
  box.write('free', 4, 'latin1');
  payload.copy(box, 8);
  return box;
}

/** `count` distinct camera videos of about `megabytes` MB and `seconds` s each. */
export async function largeVideoInputs(count: number, megabytes: number, seconds: number): Promise<{ inputs: LoadInput[]; clip: string; bitrateK: number }> {
  // the video's bit rate that makes the file `megabytes` MB, with 192 kbit/s of AAC beside it
  const bitrateK = Math.max(1000, Math.round((megabytes * 8000) / seconds - 192));
  const { file: clip } = await makeClip(seconds, bitrateK);
  const clipBytes = statSync(clip).size;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(clip)) hash.update(chunk as Buffer);
  const inputs = Array.from({ length: count }, (_, i): LoadInput => {
    const box = freeBox(i);
    const h: Hash = hash.copy();
    h.update(box);
    return {
      name: `video-${i}`, kind: 'large', filename: `C${String(i).padStart(4, '0')}.MP4`, type: 'video/mp4',
      bytes: clipBytes + box.length, sha256: h.digest('hex'),
      chunks: async function* () {
        yield* createReadStream(clip, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
        yield box;
      },
    };
  });
  return { inputs, clip, bitrateK };
}
