/**
 * What Lamha accepts, decided from the bytes (magic numbers, via file-type), never from a
 * name or a Content-Type. Anything not listed here, SVG included, is refused.
 */
export type AssetKind = 'image' | 'video' | 'document';

export const ACCEPTED_TYPES: Readonly<Record<string, AssetKind>> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/apng': 'image',
  'image/webp': 'image',
  'image/avif': 'image',
  'image/heic': 'image',
  'image/heic-sequence': 'image',
  'image/heif': 'image',
  'image/heif-sequence': 'image',
  'image/tiff': 'image',
  'image/gif': 'image',
  'video/mp4': 'video',
  'video/x-m4v': 'video',
  'video/quicktime': 'video',
  'video/3gpp': 'video',
  'video/3gpp2': 'video',
  'video/matroska': 'video',
  'video/webm': 'video',
  'video/mp2t': 'video',
  'video/vnd.avi': 'video',
  'application/pdf': 'document',
};

/**
 * How many leading bytes an upload is judged by: its type (file-type needs 4100) and, for an
 * image, its dimensions, whose header can follow tens of KiB of EXIF and XMP.
 */
export const HEAD_BYTES = 256 * 1024;

export function kindOf(mime: string | undefined): AssetKind | undefined {
  return mime === undefined ? undefined : ACCEPTED_TYPES[mime];
}
