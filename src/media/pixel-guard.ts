/**
 * The pixel limit, checked before any decoder runs: every image a file holds, not only the one
 * shown, since tools decode more than the primary (heif-convert every top-level image, libheif
 * an alpha or depth image with its master) and a TIFF reader may be asked for any page.
 * Knows nothing of HTTP, SQL or queues.
 */
import { open } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { PixelLimitError, UndecodableError } from '../errors.js';
import { dimensionsFromHead, type Dimensions } from './dimensions.js';
import { HEAD_BYTES } from './types.js';

const HEIF_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence']);

/**
 * TIFF pages whose size is read before decoding. sharp loads the first page only; the pages are
 * checked so that no page of an accepted file is a bomb for whatever reads it next. Past this
 * many, a file is not a photo.
 */
export const MAX_TIFF_PAGES = 256;

/**
 * Refuses, before any decoder runs, a file with an image over `maxPixels`: from the header,
 * every HEIF item (alpha, depth, thumbnails and grid tiles included) and as many TIFF pages as
 * it holds (the upload checked what its first 256 KiB showed; this sees the whole file).
 * heif-info's own list is checked by heifToPixels.
 */
export async function refuseLargeImages(input: string, mime: string, maxPixels: number): Promise<void> {
  const refuse = (size: Dimensions | undefined): void => {
    if (size !== undefined && size.width * size.height > maxPixels) throw new PixelLimitError(size.width, size.height, maxPixels);
  };
  if (HEIF_TYPES.has(mime) || mime === 'image/tiff') {
    const file = await open(input, 'r');
    try {
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
      refuse(dimensionsFromHead(head.subarray(0, bytesRead), mime));
    } finally {
      await file.close();
    }
  }
  if (mime !== 'image/tiff') return;
  // libtiff reads each page's directory only: no pixels are decoded here
  const pages = (await headerOf(input, 0)).pages ?? 1;
  if (pages > MAX_TIFF_PAGES) throw new UndecodableError(`the TIFF file has ${pages} pages; at most ${MAX_TIFF_PAGES} are accepted`);
  for (let page = 0; page < pages; page++) {
    const meta = await headerOf(input, page);
    if (meta.width && meta.height) refuse({ width: meta.width, height: meta.height });
  }
}

async function headerOf(input: string, page: number): Promise<Metadata> {
  try {
    return await sharp(input, { limitInputPixels: false, page }).metadata();
  } catch (err) {
    throw new UndecodableError(`the image header cannot be read: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

/** A top-level image as heif-info lists it. */
export interface ListedHeifImage extends Dimensions {
  thumbnails: Dimensions[];
}

/**
 * heif-convert decodes every top-level image, one after another, not only the primary: each of
 * them, and each thumbnail, must be within the limit, and so must all top-level images
 * together (what one heif-convert run decodes).
 */
export function refuseHeifImages(images: ListedHeifImage[], maxPixels: number): void {
  for (const size of images.flatMap((i) => [i, ...i.thumbnails])) {
    if (size.width * size.height > maxPixels) throw new PixelLimitError(size.width, size.height, maxPixels);
  }
  const total = images.reduce((sum, i) => sum + i.width * i.height, 0);
  if (total > maxPixels) {
    const largest = images.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
    throw new UndecodableError(`HEIF file holds ${images.length} images of ${total} pixels together (the largest ${largest.width}×${largest.height}), more than the limit of ${maxPixels}`);
  }
}

