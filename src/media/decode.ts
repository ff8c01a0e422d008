/**
 * Turns inputs that sharp cannot read into files it can: HEIC/HEIF photos (the prebuilt sharp
 * has no HEVC decoder) through Debian's libheif tools, and PDF documents through poppler's
 * pdftoppm (first page only). Everything else is handed back untouched. Knows nothing of HTTP,
 * SQL or queues; the caller owns `workDir` and removes it.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UndecodableError } from '../errors.js';
import type { Dimensions } from './dimensions.js';
import { refuseHeifImages, refuseLargeImages } from './pixel-guard.js';
import { runTool, ToolError } from './run.js';

export interface DecodeOptions {
  /** budget for every tool this call runs, together; each is killed when it runs out */
  timeoutMs: number;
  /**
   * every image of the file (HEIF items, TIFF pages) with more pixels than this is refused
   * with LAMHA_PIXEL_LIMIT before anything decodes it
   */
  maxPixels: number;
  signal?: AbortSignal;
  /** default: `heif-convert` from PATH */
  heifConvertPath?: string;
  /** default: `heif-info` from PATH */
  heifInfoPath?: string;
  /** default: `pdftoppm` from PATH */
  pdftoppmPath?: string;
  /** long edge of a PDF page preview, in pixels (default 2048) */
  pdfLongEdge?: number;
}

export interface DecodableImage {
  /** a file sharp can read: `input` itself, or a file made in workDir */
  path: string;
  /**
   * true when `path` is a JPEG or PNG (HEIC) or a PNG (PDF page) made here: upright, no
   * EXIF/XMP/IPTC, colour profile kept
   */
  converted: boolean;
}

/**
 * Faults of the input itself (corrupt, truncated, password-protected, not what its type says)
 * are LAMHA_UNDECODABLE: retrying cannot help. Timeouts, aborts and a missing tool stay
 * `ToolError`s.
 */
type Undecodable = InstanceType<typeof UndecodableError>;

const HEIF_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence']);
const PDF_LONG_EDGE = 2048;
/**
 * Quality of the JPEG a HEIC becomes. Every rendition made from it is a lossy WebP at far lower
 * quality, so nothing visible is lost; a lossless PNG instead costs 5–7 s of zlib per 12 MP
 * photo against under a second for this JPEG.
 */
const HEIF_JPEG_QUALITY = 95;
/**
 * heif-convert (libheif 1.15) decodes every top-level image of a file, not only the primary;
 * a file holding many could fill the disk with full-size JPEGs before the timeout hits.
 */
const MAX_HEIF_TOP_LEVEL_IMAGES = 8;
/**
 * A path sharp can decode for `input` of type `mime` (decided from the bytes).
 *
 * HEIC/HEIF: the primary image as a JPEG of quality HEIF_JPEG_QUALITY (fast to write, and
 * visually lossless for the WebP renditions made from it), or as a PNG when heif-info says it has
 * an alpha channel (JPEG has none; PNG is several times slower to write, so only then). The HEIF
 * transforms (irot, imir, clap) are applied, so it is upright, and the EXIF that heif-convert
 * copies into the JPEG or PNG is removed: it still holds the camera's Orientation (applying it
 * again would turn the picture a second time) and GPS. The ICC profile is kept. In the JPEG,
 * 10/12-bit becomes 8-bit.
 *
 * PDF: the first page only, rendered with its CropBox so the long edge is `pdfLongEdge` px.
 */
export async function decodableImage(
  input: string,
  mime: string,
  workDir: string,
  opts: DecodeOptions,
): Promise<DecodableImage> {
  await refuseLargeImages(input, mime, opts.maxPixels);
  if (HEIF_TYPES.has(mime)) return { path: await heifToPixels(input, workDir, opts), converted: true };
  if (mime === 'application/pdf') return { path: await pdfFirstPage(input, workDir, opts), converted: true };
  return { path: input, converted: false };
}

/** Spreads one time budget over several tool runs. */
function budget(opts: DecodeOptions): () => number {
  const deadline = Date.now() + opts.timeoutMs;
  return () => Math.max(1, deadline - Date.now());
}

/** ToolErrors of a tool that ran and failed become UndecodableErrors; the rest pass through. */
function inputFault(err: unknown, what: string): unknown {
  if (err instanceof ToolError && err.kind === 'exit') {
    // a tool stopped at a resource limit: the file needs more than a photo may (retrying cannot help)
    const reason = err.limit !== undefined ? err.message : err.stderr === '' ? `${err.tool} exited with code ${err.exitCode}` : err.stderr;
    return new UndecodableError(`${what}: ${reason}`, { cause: err });
  }
  return err;
}

interface HeifTopLevelImage {
  width: number;
  height: number;
  primary: boolean;
  alpha: boolean;
  /** the image's thumbnails, as heif-info lists them */
  thumbnails: Dimensions[];
}

/**
 * heif-info lists top-level images as `image: WxH (id=N)[, primary]`, in heif-convert's order,
 * each followed by indented lines, among them `alpha channel: yes|no`.
 */
export function parseHeifInfo(stdout: string): HeifTopLevelImage[] {
  const images: HeifTopLevelImage[] = [];
  const blocks = stdout.split(/^(?=image: )/m).filter((b) => b.startsWith('image: '));
  for (const block of blocks) {
    const m = /^image: (\d+)x(\d+) \(id=\d+\)(, primary)?/.exec(block);
    if (!m) continue;
    const thumbnails = [...block.matchAll(/^\s+thumbnail: (\d+)x(\d+)/gm)].map((t) => ({ width: Number(t[1]), height: Number(t[2]) }));
    images.push({ width: Number(m[1]), height: Number(m[2]), primary: m[3] !== undefined, alpha: /^\s+alpha channel: yes\b/m.test(block), thumbnails });
  }
  return images;
}

async function heifToPixels(input: string, workDir: string, opts: DecodeOptions): Promise<string> {
  const remaining = budget(opts);
  const source = path.resolve(input); // absolute: never read as an option, and cwd-independent
  const heifInfo = opts.heifInfoPath ?? 'heif-info';
  const heifConvert = opts.heifConvertPath ?? 'heif-convert';

  const info = await runTool(heifInfo, [source], { timeoutMs: remaining(), signal: opts.signal }).catch((err: unknown) => {
    throw inputFault(err, 'not a readable HEIF file');
  });
  const images = parseHeifInfo(info.stdout);
  if (images.length === 0) throw new UndecodableError('not a readable HEIF file: it holds no image');
  if (images.length > MAX_HEIF_TOP_LEVEL_IMAGES) {
    throw new UndecodableError(
      `HEIF file holds ${images.length} top-level images; at most ${MAX_HEIF_TOP_LEVEL_IMAGES} are accepted`,
    );
  }
  refuseHeifImages(images, opts.maxPixels);
  const primaryIndex = Math.max(0, images.findIndex((i) => i.primary));
  const ext = images[primaryIndex]!.alpha ? 'png' : 'jpg';

  // heif-convert names outputs after the text before the first dot of the output path, so it
  // gets a dot-free name relative to workDir (which may well contain dots).
  const rawNames = images.length === 1 ? [`heif.${ext}`] : images.map((_, i) => `heif-${i + 1}.${ext}`);
  const output = path.join(workDir, `image.${ext}`);
  const quality = ext === 'jpg' ? ['-q', String(HEIF_JPEG_QUALITY)] : [];
  try {
    await runTool(heifConvert, ['--quiet', ...quality, source, `heif.${ext}`], {
      timeoutMs: remaining(),
      signal: opts.signal,
      cwd: workDir,
    }).catch((err: unknown) => {
      throw inputFault(err, 'HEIF image could not be decoded');
    });
    const raw = path.join(workDir, rawNames[primaryIndex]!);
    await (ext === 'jpg' ? copyJpegWithoutMetadata(raw, output) : copyPngWithoutMetadata(raw, output));
  } catch (err) {
    await rm(output, { force: true });
    throw err;
  } finally {
    await Promise.all(rawNames.map((name) => rm(path.join(workDir, name), { force: true })));
  }
  return output;
}

const COPY_BLOCK = 1 << 20;
/** a marker (2 bytes), a length (2 bytes) that counts itself, and at most 65533 bytes more */
const MAX_SEGMENT = 2 + 0xffff;

/**
 * Whether a JPEG segment before the first scan carries pixels or colour: the tables and frame
 * header (DQT, DHT, DAC, SOF*, DRI), the ICC profile (APP2 "ICC_PROFILE", one of possibly
 * several chunks), JFIF (APP0) and Adobe's colour transform flag (APP14, needed to read CMYK and
 * YCCK right). Exif and XMP (APP1), IPTC (APP13), comments and every other APPn are not.
 */
function keptJpegSegment(marker: number, data: Buffer): boolean {
  const startsWith = (id: string): boolean => data.toString('latin1', 0, id.length) === id;
  if (marker === 0xdb || marker === 0xc4 || marker === 0xcc || marker === 0xdd) return true;
  if (marker >= 0xc0 && marker <= 0xcf) return marker !== 0xc8; // SOF0–SOF15 (JPG is reserved)
  if (marker === 0xe0) return startsWith('JFIF\0');
  if (marker === 0xe2) return startsWith('ICC_PROFILE\0');
  if (marker === 0xee) return startsWith('Adobe');
  return false;
}

/**
 * Copies a JPEG without its metadata, streaming: the segments before the first scan are read one
 * by one and only those keptJpegSegment() accepts are written, in their order (so a multi-chunk
 * ICC profile stays whole); from the first SOS on, everything (scans, the tables between the
 * scans of a progressive JPEG, EOI) is copied in blocks.
 */
export async function copyJpegWithoutMetadata(src: string, dest: string): Promise<void> {
  await copyFiltered(src, dest, 'JPEG', Math.max(MAX_SEGMENT, COPY_BLOCK), async ({ size, readAt, to, malformed }) => {
    if (size < 4 || (await readAt(0, 2)).readUInt16BE(0) !== 0xffd8) throw malformed('no JPEG');
    if ((await readAt(size - 2, 2)).readUInt16BE(0) !== 0xffd9) throw malformed('a JPEG without EOI');
    await to.write(Buffer.from([0xff, 0xd8]));

    let pos = 2;
    for (;;) {
      const head = await readAt(pos, 4);
      if (head[0] !== 0xff) throw malformed('a malformed JPEG');
      const marker = head[1]!;
      if (marker === 0xff) {
        pos += 1; // fill byte
        continue;
      }
      if (marker === 0xd8 || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        throw malformed('a JPEG without image data'); // markers without a length, out of place
      }
      const total = 2 + head.readUInt16BE(2);
      if (total < 4) throw malformed('a malformed JPEG');
      if (marker === 0xda) break; // SOS: the rest is image data
      const whole = await readAt(pos, total);
      if (keptJpegSegment(marker, whole.subarray(4))) await to.write(whole);
      pos += total;
    }
    while (pos < size) {
      const n = Math.min(COPY_BLOCK, size - pos);
      await to.write(await readAt(pos, n));
      pos += n;
    }
  });
}

interface FilteredCopy {
  size: number;
  /** `length` bytes at `pos`, in a buffer reused by the next read */
  readAt(pos: number, length: number): Promise<Buffer>;
  to: FileHandle;
  malformed(what: string): Undecodable;
}

/** Opens the source and the copy for a streaming filter of heif-convert's output; both are closed after. */
async function copyFiltered(src: string, dest: string, format: string, bufferSize: number, body: (copy: FilteredCopy) => Promise<void>): Promise<void> {
  const malformed = (what: string): Undecodable => new UndecodableError(`heif-convert wrote ${what}`);
  const from = await open(src, 'r');
  try {
    const to = await open(dest, 'w');
    try {
      const { size } = await from.stat();
      const buffer = Buffer.alloc(bufferSize);
      const readAt = async (pos: number, length: number): Promise<Buffer> => {
        const { bytesRead } = await from.read(buffer, 0, length, pos);
        if (bytesRead < length) throw malformed(`a truncated ${format}`);
        return buffer.subarray(0, length);
      };
      await body({ size, readAt, to, malformed });
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

/**
 * PNG chunks that carry pixels or colour: the image itself (IHDR, PLTE, IDAT, IEND), its
 * transparency (tRNS) and how to read its colours (iCCP, sRGB, gAMA, cHRM, cICP, sBIT). eXIf,
 * text chunks, times and every other ancillary chunk are not kept.
 */
const KEPT_PNG_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'iCCP', 'sRGB', 'gAMA', 'cHRM', 'cICP', 'sBIT']);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Copies a PNG without its metadata, streaming chunk by chunk (each kept chunk whole with its
 * CRC, in its order), up to IEND.
 */
export async function copyPngWithoutMetadata(src: string, dest: string): Promise<void> {
  await copyFiltered(src, dest, 'PNG', COPY_BLOCK, async ({ size, readAt, to, malformed }) => {
    if (size < PNG_SIGNATURE.length || !(await readAt(0, PNG_SIGNATURE.length)).equals(PNG_SIGNATURE)) throw malformed('no PNG');
    await to.write(PNG_SIGNATURE);
    let pos = PNG_SIGNATURE.length;
    for (;;) {
      const head = await readAt(pos, 8);
      const total = 12 + head.readUInt32BE(0); // length, type, data, CRC
      const type = head.toString('latin1', 4, 8);
      if (pos + total > size) throw malformed('a truncated PNG');
      if (KEPT_PNG_CHUNKS.has(type)) {
        for (let at = pos; at < pos + total; at += COPY_BLOCK) {
          await to.write(await readAt(at, Math.min(COPY_BLOCK, pos + total - at)));
        }
      }
      pos += total;
      if (type === 'IEND') break;
    }
  });
}

async function pdfFirstPage(input: string, workDir: string, opts: DecodeOptions): Promise<string> {
  const pdftoppm = opts.pdftoppmPath ?? 'pdftoppm';
  const longEdge = opts.pdfLongEdge ?? PDF_LONG_EDGE;
  const root = path.join(workDir, 'page'); // -singlefile: pdftoppm writes <root>.png
  const args = [
    '-png',
    '-f', '1',
    '-l', '1',
    '-singlefile',
    '-cropbox', // the page as viewers show it
    '-scale-to', String(longEdge),
    path.resolve(input),
    root,
  ];
  try {
    await runTool(pdftoppm, args, { timeoutMs: opts.timeoutMs, signal: opts.signal });
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'exit' && /incorrect password/i.test(err.stderr)) {
      throw new UndecodableError('PDF is protected by a password and cannot be previewed', { cause: err });
    }
    throw inputFault(err, 'PDF is damaged or not a PDF');
  }
  const output = `${root}.png`;
  // checked, not assumed from the exit status
  const probe = await open(output, 'r').catch(() => undefined);
  if (probe === undefined) throw new UndecodableError('PDF has no page that could be rendered');
  await probe.close();
  return output;
}
