/**
 * Camera-like photos for bench/images: 6000×4000 JPEGs (quality 92, 4:2:0) with a camera's
 * EXIF, IPTC and XMP (Canon EOS 600D: orientation 1, GPS), 8–12 MB each like the files a
 * 24 MP camera writes.
 *
 * Flat colours or an upscaled small picture would compress to a fraction of that and decode
 * much faster than a real photo, so each one is a mosaic of real pictures from test/fixtures
 * (a phone photo, a DSLR photo, an illustration, …) cut and laid out differently per photo,
 * with seeded Gaussian noise on top: every file differs and has the entropy of a camera's.
 * The same index always gives the same file; they are cached, so reruns do not make them again.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ExifTool } from 'exiftool-vendored';

export const PHOTO_WIDTH = 6000;
export const PHOTO_HEIGHT = 4000;
export const PHOTO_QUALITY = 92;
/** grain of a camera at a moderate ISO, in 8-bit levels: it sets the file size (σ 8 gave 7.8–9.6 MB, σ 10 ≈ 9–11) */
export const NOISE_SIGMA = 10;
/** bump when the recipe changes, so cached files of an older recipe are not reused */
const RECIPE = 2;

/** The camera whose EXIF, IPTC and XMP every photo carries. */
export const METADATA_SOURCE = 'test/fixtures/jpeg_canon-600d_gps_iptc_xmp.jpg';

/** Pictures the mosaics are cut from: the large ones carry real fine detail. */
const SOURCES = [
  'test/fixtures/jpeg_vivo-x90pro_gps_offsettime.jpg', // 3072×4096 phone photo
  'test/fixtures/png_rgba_alpha.png', // 2048×1536 illustration with alpha
  'test/fixtures/jpeg_canon-600d_gps_iptc_xmp.jpg', // 1394×930 DSLR photo
  'test/fixtures/exif-orientation_1.jpg', // 600×450 photo
  'test/fixtures/jpeg_nikon-d2x_gps_iptc_xmp.jpg', // 527×350 photo
  'test/fixtures/jpeg_canon-30d_progressive_empty-gps.jpg', // 600×900 photo
];
/** A 12 MP iPhone photo joins the large sources when Debian's libheif tools can decode it. */
const HEIC_SOURCE = 'test/fixtures/heic_iphone-xs-max_gps.heic';

interface Tile { left: number; top: number; width: number; height: number }

/** Mosaic layouts of the 6000×4000 frame. */
const LAYOUTS: Tile[][] = [
  // 3 × 2 squares
  [0, 1, 2].flatMap((c) => [0, 1].map((r) => ({ left: c * 2000, top: r * 2000, width: 2000, height: 2000 }))),
  // a large square and two small ones
  [{ left: 0, top: 0, width: 4000, height: 4000 }, { left: 4000, top: 0, width: 2000, height: 2000 }, { left: 4000, top: 2000, width: 2000, height: 2000 }],
  // two portrait halves
  [{ left: 0, top: 0, width: 3000, height: 4000 }, { left: 3000, top: 0, width: 3000, height: 4000 }],
  // a wide band over three squares
  [{ left: 0, top: 0, width: 6000, height: 2000 }, ...[0, 1, 2].map((c) => ({ left: c * 2000, top: 2000, width: 2000, height: 2000 }))],
];

/** xorshift32: a small seeded generator, so the same index always gives the same photo. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

/**
 * Adds zero-mean noise of standard deviation ≈ sigma to 8-bit pixels, in place. The sum of
 * four uniform bytes (Irwin–Hall) is close enough to Gaussian for grain and far cheaper.
 */
function addNoise(pixels: Buffer, sigma: number, seed: number): void {
  const next = rng(seed);
  // four uniform bytes: mean 510, standard deviation √(4 · (256² − 1) / 12) ≈ 147.8
  const scale = sigma / 147.8;
  const n = pixels.length;
  for (let i = 0; i < n; i++) {
    const r = next();
    const sum = (r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24);
    const v = pixels[i]! + (sum - 510) * scale;
    pixels[i] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
  }
}

async function sourcesIn(root: string, cacheDir: string): Promise<string[]> {
  const out = SOURCES.map((s) => path.join(root, s));
  const heicPng = path.join(cacheDir, 'source-heic.png');
  if (!existsSync(heicPng)) {
    try {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'lamha-bench-heic-'));
      try {
        execFileSync('heif-convert', [path.join(root, HEIC_SOURCE), path.join(tmp, 'out.png')], { stdio: 'ignore' });
        renameSync(path.join(tmp, 'out.png'), heicPng);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch {
      return out;
    }
  }
  return [...out, heicPng];
}

async function makePhoto(file: string, index: number, sources: string[], metadataSource: string, exiftool: ExifTool): Promise<void> {
  const seed = seedOf(`lamha-bench-images:${RECIPE}:${index}`);
  const next = rng(seed);
  const layout = LAYOUTS[next() % LAYOUTS.length]!;
  const tiles = await Promise.all(layout.map(async (tile) => {
    const source = sources[next() % sources.length]!;
    const positions = ['centre', 'north', 'south', 'east', 'west', 'northeast', 'southwest'] as const;
    let img = sharp(source)
      .rotate()
      .flatten({ background: { r: 200 + (next() % 56), g: 200 + (next() % 56), b: 200 + (next() % 56) } })
      .resize({ width: tile.width, height: tile.height, fit: 'cover', position: positions[next() % positions.length] });
    if (next() % 2) img = img.flop();
    return { input: await img.toColourspace('srgb').removeAlpha().png({ compressionLevel: 0 }).toBuffer(), left: tile.left, top: tile.top };
  }));
  const { data, info } = await sharp({ create: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, channels: 3, background: '#808080' } })
    .composite(tiles)
    .raw()
    .toBuffer({ resolveWithObject: true });
  addNoise(data, NOISE_SIGMA, seed);
  const tmp = `${file}.tmp-${process.pid}`;
  // What a camera writes: baseline JPEG, 4:2:0, optimised Huffman tables.
  await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: PHOTO_QUALITY, chromaSubsampling: '4:2:0', optimiseCoding: true, mozjpeg: false })
    .toFile(tmp);
  // The camera's EXIF (orientation 1, GPS, maker notes, thumbnail), IPTC and XMP, with the
  // dimensions of this file.
  await exiftool.write(tmp, {}, {
    writeArgs: [
      '-overwrite_original', '-TagsFromFile', metadataSource, '-all:all',
      '-Orientation#=1', `-ExifIFD:ExifImageWidth=${PHOTO_WIDTH}`, `-ExifIFD:ExifImageHeight=${PHOTO_HEIGHT}`,
    ],
  });
  renameSync(tmp, file);
}

/**
 * The paths of `count` camera-like photos in `cacheDir`, made (in parallel, `parallel` at a
 * time) where missing. `log` reports progress.
 */
export async function cameraPhotos(
  root: string, cacheDir: string, count: number, opts: { parallel?: number; log?: (msg: string) => void } = {},
): Promise<{ files: string[]; generatedSeconds: number; generated: number }> {
  mkdirSync(cacheDir, { recursive: true });
  for (const old of readdirSync(cacheDir).filter((f) => /^photo-r\d+-/.test(f) && !f.startsWith(`photo-r${RECIPE}-`))) rmSync(path.join(cacheDir, old));
  const files = Array.from({ length: count }, (_, i) => path.join(cacheDir, `photo-r${RECIPE}-${String(i).padStart(4, '0')}.jpg`));
  const missing = files.map((f, i) => ({ f, i })).filter(({ f }) => !existsSync(f));
  const t0 = performance.now();
  if (missing.length > 0) {
    opts.log?.(`making ${missing.length} camera-like photos in ${path.relative(root, cacheDir)} (once; they are cached)`);
    const sources = await sourcesIn(root, cacheDir);
    const exiftool = new ExifTool({ taskRetries: 0 });
    try {
      const parallel = Math.max(1, opts.parallel ?? 2);
      let cursor = 0;
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (cursor < missing.length) {
          const { f, i } = missing[cursor++]!;
          await makePhoto(f, i, sources, path.join(root, METADATA_SOURCE), exiftool);
          opts.log?.(`  ${path.basename(f)}: ${(statSync(f).size / 1e6).toFixed(1)} MB`);
        }
      }));
    } finally {
      await exiftool.end();
    }
  }
  return { files, generatedSeconds: (performance.now() - t0) / 1000, generated: missing.length };
}
