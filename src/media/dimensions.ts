/**
 * Pixel dimensions from the first bytes of an upload, for refusing pixel bombs before anything
 * decodes them: no allocation beyond the given buffer, no decoding, a bounded scan.
 *
 * Hand-written rather than taken from image-size 2.1, which lets bombs through: its JPEG reader
 * knows only SOF0–SOF2 (a SOF9/SOF10 header, which sharp's libjpeg reads, gives "no size"), its
 * GIF reader ignores the first frame growing the canvas (sharp does not), its TIFF reader goes on
 * reading past the end of IFD0 (bytes after it can override the real width), and its HEIF reader
 * takes the largest `ispe` of any item rather than the primary item's.
 */

export interface Dimensions {
  width: number;
  height: number;
}

/**
 * The largest image the file whose first bytes are `head` declares (the caller passes what the
 * upload has seen, up to 256 KiB), for a type `mime` already decided from the bytes: every
 * image of it is checked against the pixel limit, not only the one shown, because tools decode
 * more than the primary (heif-convert decodes every top-level image, libheif an alpha or depth
 * image with its master, a TIFF reader may be asked for any page).
 *
 * Stored means as encoded, before EXIF orientation or a HEIF `irot` turns it: width × height is
 * the pixel count a decoder allocates either way. For HEIC/HEIF/AVIF it is the largest `ispe` of
 * any item (primary, other top-level images, thumbnails, alpha, depth, grid tiles); for TIFF
 * the largest page of the IFD chain, as far as `head` holds it (SubIFDs, which libvips does not
 * load as pages, are not read); for GIF the logical screen, grown by the first frame as libnsgif
 * does (a huge screen is reported as is, though sharp may fall back to the frame size: refusing
 * it errs on the safe side). Animated GIF, WebP and APNG frames lie within the canvas read here.
 *
 * undefined when the header does not say: the type is not an image read here, the header is
 * malformed, or it lies beyond `head` (a JPEG with large APPn segments, a TIFF whose IFD0 is
 * written after the pixel data, an MP4-style HEIF with `meta` after `mdat`). The worker must
 * then check the decoded size.
 */
export function dimensionsFromHead(head: Buffer, mime: string): Dimensions | undefined {
  try {
    const size = READERS[mime]?.(head);
    return size !== undefined && size.width > 0 && size.height > 0 ? size : undefined;
  } catch (err) {
    // A read past the end of `head` (RangeError) is a header we cannot see whole.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

type Reader = (b: Buffer) => Dimensions | undefined;

const READERS: Readonly<Record<string, Reader>> = {
  'image/jpeg': jpeg,
  'image/png': png,
  'image/apng': png,
  'image/gif': gif,
  'image/webp': webp,
  'image/tiff': tiff,
  'image/heic': heif,
  'image/heif': heif,
  'image/heic-sequence': heif,
  'image/heif-sequence': heif,
  'image/avif': heif,
};

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpeg(b: Buffer): Dimensions | undefined {
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 1 < b.length) {
    // libjpeg skips stray bytes before a marker (with a warning), so this does too.
    if (b[p] !== 0xff) {
      p++;
      continue;
    }
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    const length = b.readUInt16BE(p + 2);
    if (isStartOfFrame(marker)) {
      return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) };
    }
    if (length < 2) return undefined;
    p += 2 + length;
  }
  return undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function png(b: Buffer): Dimensions | undefined {
  if (!b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gif(b: Buffer): Dimensions | undefined {
  const signature = b.toString('latin1', 0, 6);
  if (signature !== 'GIF87a' && signature !== 'GIF89a') return undefined;
  const screen = { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  const flags = b.readUInt8(10);
  let p = 13 + (flags & 0x80 ? 3 << ((flags & 0x07) + 1) : 0);
  // Walk extensions up to the first image descriptor; it may extend the canvas.
  while (p < b.length) {
    const block = b[p]!;
    if (block === 0x2c) {
      const left = b.readUInt16LE(p + 1);
      const top = b.readUInt16LE(p + 3);
      const width = b.readUInt16LE(p + 5);
      const height = b.readUInt16LE(p + 7);
      return { width: Math.max(screen.width, left + width), height: Math.max(screen.height, top + height) };
    }
    if (block !== 0x21) break; // trailer or garbage: no frame to look at
    p += 2; // introducer and label, then data sub-blocks up to a zero length
    while (p < b.length && b[p] !== 0) p += b[p]! + 1;
    p++;
  }
  return screen;
}

function webp(b: Buffer): Dimensions | undefined {
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') {
    // canvas size minus one, 24-bit little-endian each; flags' reserved bits are not checked
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  }
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return undefined;
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

const TIFF_SHORT = 3;
const TIFF_LONG = 4;
const TIFF_LONG8 = 16;

/** Pages followed along a TIFF's IFD chain; a chain that loops or goes on is cut here. */
const MAX_TIFF_PAGES = 1024;

function tiff(b: Buffer): Dimensions | undefined {
  const order = b.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const version = u16(2);
  if (version !== 42 && version !== 43) return undefined;
  const big = version === 43;
  const entrySize = big ? 20 : 12;

  /** One IFD's own width and height (as many entries as it declares), and where the next IFD is. */
  const page = (ifd: number): { size: Dimensions | undefined; next: number } => {
    const count = big ? u64(ifd) : u16(ifd);
    const first = ifd + (big ? 8 : 2);
    let width: number | undefined;
    let height: number | undefined;
    for (let i = 0; i < count; i++) {
      const e = first + i * entrySize;
      const tag = u16(e);
      if (tag !== 256 && tag !== 257) continue;
      const type = u16(e + 2);
      const valueAt = e + (big ? 12 : 8);
      const value = type === TIFF_SHORT ? u16(valueAt) : type === TIFF_LONG ? u32(valueAt) : type === TIFF_LONG8 && big ? u64(valueAt) : undefined;
      if (tag === 256) width = value;
      else height = value;
    }
    const after = first + count * entrySize;
    return { size: width !== undefined && height !== undefined ? { width, height } : undefined, next: big ? u64(after) : u32(after) };
  };

  // IFD0 must be seen whole (a RangeError there means "cannot tell"); later pages count as far as `head` holds them
  const ifd0 = page(big ? u64(8) : u32(4));
  let largest = ifd0.size;
  const seen = new Set<number>();
  let next = ifd0.next;
  try {
    while (next !== 0 && !seen.has(next) && seen.size < MAX_TIFF_PAGES) {
      seen.add(next);
      const { size, next: after } = page(next);
      if (size !== undefined && (largest === undefined || pixels(size) > pixels(largest))) largest = size;
      next = after;
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
  return largest;
}

function pixels(d: Dimensions): number {
  return d.width * d.height;
}

interface Box {
  type: string;
  /** first byte after the header */
  start: number;
  /** one past the last byte, clipped to the buffer */
  end: number;
  /** the box goes on past the buffer (or its parent) */
  cut: boolean;
}

/** ISO BMFF boxes laid end to end in b[from, to). */
function* boxes(b: Buffer, from: number, to: number): Generator<Box> {
  let p = from;
  while (p + 8 <= to) {
    let size = b.readUInt32BE(p);
    let header = 8;
    if (size === 1) {
      size = Number(b.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) {
      size = to - p; // extends to the end
    }
    if (size < header) return;
    yield { type: b.toString('latin1', p + 4, p + 8), start: p + header, end: Math.min(p + size, to), cut: p + size > to };
    p += size;
  }
}

function child(b: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
  for (const box of boxes(b, parent.start + skip, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** The largest `ispe` (image spatial extents) of any item, through meta → iprp → ipco. */
function heif(b: Buffer): Dimensions | undefined {
  let meta: Box | undefined;
  for (const box of boxes(b, 0, b.length)) {
    if (box.type === 'meta') {
      meta = box;
      break;
    }
  }
  if (meta === undefined) return undefined;
  const FULL = 4; // version and flags of a FullBox
  const iprp = child(b, meta, 'iprp', FULL);
  if (iprp === undefined) return undefined;
  const ipco = child(b, iprp, 'ipco');
  // a property list cut off by `head` may hide a larger image
  if (ipco === undefined || ipco.cut) return undefined;
  let largest: Dimensions | undefined;
  for (const property of boxes(b, ipco.start, ipco.end)) {
    if (property.type !== 'ispe') continue;
    // a property the box does not hold whole is one we cannot see
    if (property.start + FULL + 8 > property.end) return undefined;
    const size = { width: b.readUInt32BE(property.start + FULL), height: b.readUInt32BE(property.start + FULL + 4) };
    if (largest === undefined || pixels(size) > pixels(largest)) largest = size;
  }
  return largest;
}
