/**
 * The sharp adapter: one decode of a photo into upright sRGB pixels at the largest size we
 * serve, then every rendition and the placeholder from those pixels. Knows nothing of HTTP,
 * SQL or queues. Every output is re-encoded from pixels, so no metadata of the original
 * (EXIF, XMP, IPTC, GPS, maker notes) can reach it.
 *
 * Formats, chosen by measurement (bench/images and the note of the image-pipeline issue):
 * WebP for every size — read by every browser in use, 40–45 % smaller than JPEG at the same
 * look, and 5–10× faster to encode than AVIF, which at effort 2 still takes ≈1.5 s for a
 * 2048 px image: too slow for hundreds of photos during a panel. A JPEG of at most
 * 1200 px on the long edge (FALLBACK_JPEG, `fallback.jpg`) is the fallback for what cannot read
 * WebP: social cards (og:image and twitter:image; Facebook recommends 1200×630), the gallery's
 * download button and a press link's web-size files. On the four camera photos of the fixtures
 * with a 2048 px rendition (bench/images-webp-effort.ts) the fallback at 1200 px is 802 kB
 * against 1,873 kB at the largest size (−57 %), 71–81 against 115 CPU ms, resize included.
 */
import sharp, { type JpegOptions, type Metadata, type OutputInfo, type Sharp, type WebpOptions } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { PixelLimitError, UndecodableError } from '../errors.js';
import { FALLBACK_JPEG } from './fallback-jpeg.js';

export interface RenditionSpec {
  /** object name under renditions/<assetId>/ */
  name: string;
  longEdge: number;
  type: 'image/webp' | 'image/jpeg';
}

/** Sizes on the long edge: phones (400 in grids), tablets and laptops (1024), retina (2048). */
export const IMAGE_SIZES = [
  { name: 'thumb', longEdge: 400 },
  { name: 'medium', longEdge: 1024 },
  { name: 'large', longEdge: 2048 },
] as const;

// Efforts and fallback from bench/images' per-step profile of a 24 MP photo (CPU ms): decode and
// resize 257; WebP 2048 px at effort 2 170 / effort 1 126 (+12 % bytes); 1024 px at effort 3 131 /
// effort 2 69; 400 px at effort 4 33 / effort 2 25; JPEG 2048 progressive 89 / baseline 40. The
// cheaper settings bring a photo from ≈690 to ≈525 ms of CPU for a few per cent of bytes.
//
// The largest WebP at effort 0, the team's rule being "effort 0 where it costs ≤ 5 % more bytes
// than effort 1". Measured on the real camera photos of test/fixtures and the shared fixtures
// that get a large rendition (two iPhone HEICs and the vivo at 2048 px, the Canon 600D at its
// 1394), 5 Dec 2026, sharp 0.35.5 / libwebp 1.6.0, one libvips thread, fastest of 5 encodes,
// two runs: effort 0 / 1 / 2 = 1,462 / 1,413 / 1,311 kB for the four (+3.5 % for effort 0 over
// effort 1; per photo +1.1, +2.9, +4.6 and +8.9 %, the last the vivo X90 Pro's) and
// 289–326 / 345–396 / 434–490 CPU ms (−16 to −18 % for effort 0). Rerun:
// `npx tsx bench/images-webp-effort.ts` (table in bench/README.md, images section).
const WEBP: Record<string, WebpOptions> = {
  thumb: { quality: 78, effort: 2 },
  medium: { quality: 78, effort: 2 },
  large: { quality: 78, effort: 0 },
};
const JPEG_FALLBACK: JpegOptions = { quality: 82, chromaSubsampling: '4:2:0' };
/** Long edge of the JPEG fallback, never upscaled. */
export const FALLBACK_LONG_EDGE = 1200;

/**
 * libvips threads per image in a worker process. The `images` queue already runs one photo per
 * core, so more threads per photo only contend: on 2 cores bench/images' grid found 2 jobs × 1
 * thread as fast as any other setting. Set explicitly because sharp's own default depends on the
 * environment: 1 on glibc, but the core count once MALLOC_ARENA_MAX is set — and the worker runs
 * with MALLOC_ARENA_MAX=2 (docker-compose.yml, package.json), which cut its peak RSS from ≈397 to ≈296 MB
 * at the same speed.
 */
export const WORKER_SHARP_THREADS = 1;

/** sharp's process-wide settings for a process that runs the image processor. */
export function configureSharpForWorker(): void {
  sharp.concurrency(WORKER_SHARP_THREADS);
}

export interface RenderedImage {
  name: string;
  type: string;
  width: number;
  height: number;
  data: Buffer;
}

export interface DerivedImage {
  /** upright dimensions of the source */
  width: number;
  height: number;
  renditions: RenderedImage[];
  /** ThumbHash, base64 */
  placeholder: string;
}

export interface DeriveOptions {
  /** refuse sources with more pixels than this (width × height) */
  pixelLimit: number;
}

/** Which renditions a source of this long edge gets: never upscaled, no two of the same size. */
export function plannedSizes(longEdge: number): { name: string; longEdge: number }[] {
  const out: { name: string; longEdge: number }[] = [];
  for (const size of IMAGE_SIZES) {
    const edge = Math.min(size.longEdge, longEdge);
    if (out.length > 0 && out[out.length - 1]!.longEdge >= edge) break;
    out.push({ name: size.name, longEdge: edge });
  }
  return out;
}

/** Pixels of the sample the range of a 16-bit greyscale image is measured on. */
const RANGE_SAMPLE_EDGE = 512;
/** Shares of the darkest and brightest pixels left out of a stretched range (hot pixels, sky). */
const RANGE_CLIP = 0.005;
/** A 16-bit greyscale image whose values span less than this is data, not a photograph. */
const NARROW_RANGE = 65536 / 4;

/**
 * For a 16-bit greyscale image that uses only a narrow band of its range, the linear map that
 * stretches that band over the whole range; undefined for everything else.
 *
 * Radiometric thermal images (DJI XT2, FLIR) and scientific captures store raw sensor counts:
 * the DJI XT2 fixture spans 7534–8011 of 0–65535, which shown as it is becomes one flat dark
 * grey (three 8-bit levels). Stretching the band between the 0.5th and 99.5th percentiles, at
 * 16 bits and before the 8-bit conversion, shows what the camera saw, as thermal viewers do.
 * A 16-bit greyscale photograph or scan fills most of the range and is left as it is.
 */
async function narrowRangeStretch(path: string, meta: Metadata, pixelLimit: number): Promise<{ multiply: number; add: number } | undefined> {
  const grey = (meta.channels ?? 0) - (meta.hasAlpha ? 1 : 0) === 1;
  if (!grey || meta.depth !== 'ushort') return undefined;
  const { data, info } = await input(path, pixelLimit)
    .resize({ width: RANGE_SAMPLE_EDGE, height: RANGE_SAMPLE_EDGE, fit: 'inside', withoutEnlargement: true, kernel: 'nearest' })
    .toColourspace('grey16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  const histogram = new Uint32Array(65536);
  for (let i = 0; i < values.length; i += info.channels) histogram[values[i]!]!++;
  const count = values.length / info.channels;
  const percentile = (share: number): number => {
    let seen = 0;
    for (let v = 0; v < histogram.length; v++) {
      seen += histogram[v]!;
      if (seen > share * count) return v;
    }
    return histogram.length - 1;
  };
  const low = percentile(RANGE_CLIP);
  const high = percentile(1 - RANGE_CLIP);
  if (high <= low || high - low >= NARROW_RANGE) return undefined;
  const multiply = 65535 / (high - low);
  return { multiply, add: -low * multiply };
}

function input(path: string, pixelLimit: number): Sharp {
  // failOn 'error': a truncated file fails here rather than yielding grey half-images
  return sharp(path, { limitInputPixels: pixelLimit, failOn: 'error', sequentialRead: true, pages: 1 });
}

export async function deriveImage(path: string, { pixelLimit }: DeriveOptions): Promise<DerivedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new UndecodableError(messageOf(err));
  }
  if (!meta.width || !meta.height) throw new UndecodableError('no dimensions in the header');
  if (meta.width * meta.height > pixelLimit) throw new PixelLimitError(meta.width, meta.height, pixelLimit);
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;

  const sizes = plannedSizes(Math.max(width, height));
  const largest = sizes[sizes.length - 1]!;
  let base: { data: Buffer; info: OutputInfo };
  try {
    const stretch = await narrowRangeStretch(path, meta, pixelLimit);
    // One decode: orientation applied to the pixels, converted to sRGB (through the embedded
    // ICC profile when there is one, CMYK included), shrunk on load where the codec allows.
    let decoded = input(path, pixelLimit)
      .rotate()
      .resize({ width: largest.longEdge, height: largest.longEdge, fit: 'inside', withoutEnlargement: true });
    // sharp applies it before the conversion to 8-bit sRGB, on the 16-bit values (clamped);
    // an alpha channel is left as it is
    if (stretch) decoded = meta.hasAlpha ? decoded.linear([stretch.multiply, 1], [stretch.add, 0]) : decoded.linear(stretch.multiply, stretch.add);
    base = await decoded.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (/pixel limit/i.test(messageOf(err))) throw new PixelLimitError(meta.width, meta.height, pixelLimit);
    throw new UndecodableError(messageOf(err));
  }
  const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } } as const;
  const pixels = () => sharp(base.data, raw);

  const renditions: RenderedImage[] = [];
  for (const size of sizes) {
    const resized = size === largest ? pixels() : pixels().resize({ width: size.longEdge, height: size.longEdge, fit: 'inside' });
    const { data, info } = await resized.webp(WEBP[size.name]).toBuffer({ resolveWithObject: true });
    renditions.push({ name: `${size.name}.webp`, type: 'image/webp', width: info.width, height: info.height, data });
  }
  // from the pixels of the largest size, resized down only when they are larger
  const fits = Math.max(base.info.width, base.info.height) <= FALLBACK_LONG_EDGE;
  const fallback = await (fits ? pixels() : pixels().resize({ width: FALLBACK_LONG_EDGE, height: FALLBACK_LONG_EDGE, fit: 'inside' }))
    .flatten({ background: '#ffffff' })
    .jpeg(JPEG_FALLBACK)
    .toBuffer({ resolveWithObject: true });
  renditions.push({ name: FALLBACK_JPEG, type: 'image/jpeg', width: fallback.info.width, height: fallback.info.height, data: fallback.data });

  const small = await pixels().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const placeholder = Buffer.from(rgbaToThumbHash(small.info.width, small.info.height, small.data)).toString('base64');

  return { width, height, renditions, placeholder };
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
