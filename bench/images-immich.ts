/**
 * An Immich-like sharp pipeline, for bench/images to run side by side with deriveImage() under
 * the same conditions (jobs, libvips threads, malloc arenas). It follows Immich's server
 * (server/src/services/media.service.ts and repositories/media.repository.ts) with its default
 * image settings: one decode of the photo, oriented and resized so that its SHORT edge is the
 * preview size (sharp's `fit: 'outside'`, never enlarged: 2160×1440 for a 6000×4000 photo), into
 * raw pixels in the sRGB pipeline colour space (what Immich picks for a photo whose EXIF says
 * sRGB, as the benchmark's photos do; others go through a 16-bit pipeline to Display P3); then,
 * from those pixels and at the same time, the preview (JPEG, 1440 px short edge, quality 80), the
 * thumbnail (WebP, 250 px short edge, quality 80) — both with 4:4:4 chroma, as Immich sets for a
 * quality ≥ 80 — and the ThumbHash (100 px).
 *
 * Left out, as they do not change the work per photo: Immich's EXIF read and database writes,
 * RAW-embedded previews, the optional full-size image, and the files (the outputs stay in memory).
 */
import sharp from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';

export const IMMICH_PREVIEW = { size: 1440, format: 'jpeg', quality: 80 } as const;
export const IMMICH_THUMBNAIL = { size: 250, format: 'webp', quality: 80 } as const;

export interface ImmichOutput {
  renditions: { name: string; bytes: number; width: number; height: number }[];
  placeholder: string;
}

export async function immichLike(file: string): Promise<ImmichOutput> {
  const decoded = await sharp(file, { failOn: 'error', limitInputPixels: false })
    .pipelineColorspace('srgb')
    .withIccProfile('srgb')
    .rotate()
    .resize(IMMICH_PREVIEW.size, IMMICH_PREVIEW.size, { fit: 'outside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } } as const;
  const encode = (o: { size: number; format: 'jpeg' | 'webp'; quality: number }) => sharp(decoded.data, raw)
    .pipelineColorspace('srgb')
    .withIccProfile('srgb')
    .resize(o.size, o.size, { fit: 'outside', withoutEnlargement: true })
    .toFormat(o.format, { quality: o.quality, chromaSubsampling: o.quality >= 80 ? '4:4:4' : '4:2:0' })
    .toBuffer({ resolveWithObject: true });
  const [preview, thumbnail, hash] = await Promise.all([
    encode(IMMICH_PREVIEW),
    encode(IMMICH_THUMBNAIL),
    sharp(decoded.data, raw).resize(100, 100, { fit: 'inside', withoutEnlargement: true }).raw().ensureAlpha().toBuffer({ resolveWithObject: true }),
  ]);
  return {
    renditions: [
      { name: 'immich preview.jpeg', bytes: preview.data.length, width: preview.info.width, height: preview.info.height },
      { name: 'immich thumbnail.webp', bytes: thumbnail.data.length, width: thumbnail.info.width, height: thumbnail.info.height },
    ],
    placeholder: Buffer.from(rgbaToThumbHash(hash.info.width, hash.info.height, hash.data)).toString('base64'),
  };
}
