/**
 * What Lamha accepts, decided from the bytes (magic numbers, via file-type), never from a
 * name or a Content-Type. Anything not listed here, SVG included, is refused.
 */
import { fileTypeFromBuffer } from 'file-type';

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

/**
 * The type of a file from its first bytes (`head`, up to HEAD_BYTES): file-type's answer, else
 * a TIFF recognised by its header alone.
 *
 * file-type follows a classic TIFF's IFD offset to tell camera raw formats (ARW, DNG) from plain
 * TIFF, and answers nothing when that offset lies beyond the bytes it is given: radiometric TIFFs
 * of thermal cameras (DJI XT2, Zenmuse H20T) write their pixels first and IFD0 after them. Such a
 * file is a TIFF as far as its header says; a raw file it might also be would have its own IFD0
 * early, where file-type finds it. What the header cannot tell, the decoder settles: a file that
 * is not a readable TIFF ends `failed` in the worker.
 */
export async function mimeFromHead(head: Buffer): Promise<string | undefined> {
  return (await fileTypeFromBuffer(head))?.mime ?? (tiffHeader(head) ? 'image/tiff' : undefined);
}

/** "II" + 42 + IFD offset (LE) or "MM" + 42 + offset (BE); BigTIFF: 43, offset size 8, 0, 8-byte offset. */
function tiffHeader(b: Buffer): boolean {
  if (b.length < 8) return false;
  const order = b.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return false;
  const le = order === 'II';
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const version = u16(2);
  if (version === 42) return (le ? b.readUInt32LE(4) : b.readUInt32BE(4)) >= 8;
  if (version === 43 && b.length >= 16 && u16(4) === 8 && u16(6) === 0) {
    return (le ? b.readBigUInt64LE(8) : b.readBigUInt64BE(8)) >= 16n;
  }
  return false;
}
