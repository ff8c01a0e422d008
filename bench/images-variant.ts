/**
 * deriveImage's pipeline with its encoder settings as a parameter, so bench/images can time its
 * steps and try other settings. It mirrors src/media/images.ts (one decode to upright sRGB pixels
 * at 2048, each rendition, the 1200 px JPEG fallback and the ThumbHash from those pixels) without the error translation;
 * `CURRENT` copies that file's settings, and bench/images-profile.ts checks that this gives the
 * same bytes as deriveImage() itself.
 */
import sharp, { type JpegOptions, type KernelEnum, type Sharp, type WebpOptions } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { FALLBACK_JPEG } from '../src/media/fallback-jpeg.js';
import { FALLBACK_LONG_EDGE, plannedSizes } from '../src/media/images.js';

export interface EncoderSettings {
  webp: Record<'thumb' | 'medium' | 'large', WebpOptions>;
  jpeg: JpegOptions;
  /** resize kernel of every resize (sharp's default: lanczos3) */
  kernel?: keyof KernelEnum;
}

/** As in src/media/images.ts. */
export const CURRENT: EncoderSettings = {
  webp: {
    thumb: { quality: 78, effort: 2 },
    medium: { quality: 78, effort: 2 },
    large: { quality: 78, effort: 0 },
  },
  jpeg: { quality: 82, chromaSubsampling: '4:2:0' },
};

/**
 * Settings to try against CURRENT in the same run (bench/images' `lamha proposed`, skipped while
 * they are the same). Last tried, and not adopted (figures in bench/README.md): the Mitchell
 * kernel for every resize with the large WebP at effort 0 — the decode-and-resize step was no
 * cheaper with Mitchell, the whole saved ≈ 8 % of CPU mostly because softer pixels encode into
 * 10–16 % fewer bytes, and effort 0 alone saves ≈ 19 CPU ms of ≈ 377 for ≈ 3 % more bytes
 * (effort 0 alone is CURRENT since issue 16; bench/README.md).
 */
export const PROPOSED: EncoderSettings = CURRENT;

/** Runs one step; the profile passes one that times it. */
export type Step = <T>(name: string, fn: () => Promise<T>, bytesOf?: (v: T) => number) => Promise<T>;
const untimed: Step = (_name, fn) => fn();

export interface VariantOutput {
  renditions: { name: string; bytes: number }[];
  placeholder: string;
  /** the upright pixels at 2048, for trying other settings on them */
  pixels: () => Sharp;
}

export async function deriveVariant(file: string, settings: EncoderSettings, pixelLimit: number, step: Step = untimed): Promise<VariantOutput> {
  const meta = await step('header (metadata)', () => sharp(file, { limitInputPixels: false }).metadata());
  const swap = (meta.orientation ?? 1) >= 5;
  const sizes = plannedSizes(Math.max(swap ? meta.height! : meta.width!, swap ? meta.width! : meta.height!));
  const largest = sizes[sizes.length - 1]!;
  const base = await step('decode + orient + resize to 2048 (raw)', () => sharp(file, { limitInputPixels: pixelLimit, failOn: 'error', sequentialRead: true, pages: 1 })
    .rotate()
    .resize({ width: largest.longEdge, height: largest.longEdge, fit: 'inside', withoutEnlargement: true, ...(settings.kernel && { kernel: settings.kernel }) })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true }));
  const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } } as const;
  const pixels = () => sharp(base.data, raw);
  const renditions: { name: string; bytes: number }[] = [];
  for (const size of sizes) {
    const resized = size === largest ? pixels() : pixels().resize({ width: size.longEdge, height: size.longEdge, fit: 'inside', ...(settings.kernel && { kernel: settings.kernel }) });
    const data = await step(`webp ${size.name}`, () => resized.webp(settings.webp[size.name as keyof EncoderSettings['webp']]).toBuffer(), (b) => b.length);
    renditions.push({ name: `${size.name}.webp`, bytes: data.length });
  }
  const fits = Math.max(base.info.width, base.info.height) <= FALLBACK_LONG_EDGE;
  const fallback = () => (fits ? pixels() : pixels().resize({ width: FALLBACK_LONG_EDGE, height: FALLBACK_LONG_EDGE, fit: 'inside', ...(settings.kernel && { kernel: settings.kernel }) }));
  const jpeg = await step(`jpeg fallback (${FALLBACK_LONG_EDGE} px)`, () => fallback().flatten({ background: '#ffffff' }).jpeg(settings.jpeg).toBuffer(), (b) => b.length);
  renditions.push({ name: FALLBACK_JPEG, bytes: jpeg.length });
  const small = await step('thumbhash: resize to 100', () => pixels().resize({ width: 100, height: 100, fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true }));
  const hash = await step('thumbhash: encode (JS)', async () => rgbaToThumbHash(small.info.width, small.info.height, small.data));
  return { renditions, placeholder: Buffer.from(hash).toString('base64'), pixels };
}
