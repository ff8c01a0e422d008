/**
 * Turns inputs that sharp cannot read into files it can: HEIC/HEIF photos (the prebuilt sharp
 * has no HEVC decoder) through Debian's libheif tools, and PDF documents through poppler's
 * pdftoppm (first page only). Everything else is handed back untouched. Knows nothing of HTTP,
 * SQL or queues; the caller owns `workDir` and removes it.
 */
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { runTool, ToolError } from './run.js';

export interface DecodeOptions {
  /** budget for every tool this call runs, together; each is killed when it runs out */
  timeoutMs: number;
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
  /** a file sharp can read: `input` itself, or a PNG in workDir */
  path: string;
  /** true when `path` is a PNG made here (upright, no EXIF/XMP, colour profile kept) */
  converted: boolean;
}

/**
 * The input itself is at fault (corrupt, truncated, password-protected, not what its type
 * says): retrying cannot help. Timeouts, aborts and a missing tool are `ToolError`s instead.
 */
export class UndecodableError extends Error {
  readonly tool: string;
  constructor(message: string, tool: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UndecodableError';
    this.tool = tool;
  }
}

const HEIF_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence']);
const PDF_LONG_EDGE = 2048;
/**
 * heif-convert (libheif 1.15) decodes every top-level image of a file, not only the primary;
 * a file holding many could fill the disk with full-size PNGs before the timeout hits.
 */
const MAX_HEIF_TOP_LEVEL_IMAGES = 8;

/**
 * A path sharp can decode for `input` of type `mime` (decided from the bytes).
 *
 * HEIC/HEIF: the primary image as a lossless PNG, with the HEIF transforms (irot, imir, clap)
 * applied, so it is upright, and with the EXIF that heif-convert copies into the PNG removed:
 * that EXIF still holds the camera's Orientation (applying it again would turn the picture a
 * second time) and GPS. The ICC profile is kept. 8-bit stays 8-bit; 10/12-bit becomes 16-bit.
 *
 * PDF: the first page only, rendered with its CropBox so the long edge is `pdfLongEdge` px.
 */
export async function decodableImage(
  input: string,
  mime: string,
  workDir: string,
  opts: DecodeOptions,
): Promise<DecodableImage> {
  if (HEIF_TYPES.has(mime)) return { path: await heifToPng(input, workDir, opts), converted: true };
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
    const reason = err.stderr === '' ? `${err.tool} exited with code ${err.exitCode}` : err.stderr;
    return new UndecodableError(`${what}: ${reason}`, err.tool, { cause: err });
  }
  return err;
}

interface HeifTopLevelImage {
  width: number;
  height: number;
  primary: boolean;
}

/** heif-info lists top-level images as `image: WxH (id=N)[, primary]`, in heif-convert's order. */
function parseHeifInfo(stdout: string): HeifTopLevelImage[] {
  const images: HeifTopLevelImage[] = [];
  for (const m of stdout.matchAll(/^image: (\d+)x(\d+) \(id=\d+\)(, primary)?/gm)) {
    images.push({ width: Number(m[1]), height: Number(m[2]), primary: m[3] !== undefined });
  }
  return images;
}

async function heifToPng(input: string, workDir: string, opts: DecodeOptions): Promise<string> {
  const remaining = budget(opts);
  const source = path.resolve(input); // absolute: never read as an option, and cwd-independent
  const heifInfo = opts.heifInfoPath ?? 'heif-info';
  const heifConvert = opts.heifConvertPath ?? 'heif-convert';

  const info = await runTool(heifInfo, [source], { timeoutMs: remaining(), signal: opts.signal }).catch((err: unknown) => {
    throw inputFault(err, 'not a readable HEIF file');
  });
  const images = parseHeifInfo(info.stdout);
  if (images.length === 0) throw new UndecodableError('not a readable HEIF file: it holds no image', 'heif-info');
  if (images.length > MAX_HEIF_TOP_LEVEL_IMAGES) {
    throw new UndecodableError(
      `HEIF file holds ${images.length} top-level images; at most ${MAX_HEIF_TOP_LEVEL_IMAGES} are accepted`,
      'heif-info',
    );
  }
  const primaryIndex = Math.max(0, images.findIndex((i) => i.primary));

  // heif-convert names outputs after the text before the first dot of the output path, so it
  // gets a dot-free name relative to workDir (which may well contain dots).
  const rawNames = images.length === 1 ? ['heif.png'] : images.map((_, i) => `heif-${i + 1}.png`);
  const output = path.join(workDir, 'image.png');
  try {
    await runTool(heifConvert, ['--quiet', source, 'heif.png'], {
      timeoutMs: remaining(),
      signal: opts.signal,
      cwd: workDir,
    }).catch((err: unknown) => {
      throw inputFault(err, 'HEIF image could not be decoded');
    });
    await copyPngWithoutMetadata(path.join(workDir, rawNames[primaryIndex]!), output);
  } finally {
    await Promise.all(rawNames.map((name) => rm(path.join(workDir, name), { force: true })));
  }
  return output;
}

/**
 * PNG chunks that carry pixels or colour; everything else (eXIf, tEXt, zTXt, iTXt with XMP,
 * tIME, …) is dropped.
 */
const KEPT_PNG_CHUNKS = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'iCCP', 'sRGB', 'gAMA', 'cHRM', 'cICP', 'sBIT']);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COPY_BLOCK = 1 << 20;

/** Copies a PNG chunk by chunk, streaming, keeping only KEPT_PNG_CHUNKS. */
async function copyPngWithoutMetadata(src: string, dest: string): Promise<void> {
  const from = await open(src, 'r');
  try {
    const to = await open(dest, 'w');
    try {
      const { size } = await from.stat();
      const head = Buffer.alloc(8);
      await from.read(head, 0, 8, 0);
      if (!head.equals(PNG_SIGNATURE)) throw new UndecodableError('heif-convert wrote no PNG', 'heif-convert');
      await to.write(PNG_SIGNATURE);
      const block = Buffer.alloc(COPY_BLOCK);
      let pos = 8;
      while (pos + 12 <= size) {
        await from.read(head, 0, 8, pos);
        const length = head.readUInt32BE(0);
        const type = head.toString('latin1', 4, 8);
        const total = 12 + length; // length, type, data, CRC
        if (pos + total > size) throw new UndecodableError('heif-convert wrote a truncated PNG', 'heif-convert');
        if (KEPT_PNG_CHUNKS.has(type)) {
          for (let done = 0; done < total; ) {
            const n = Math.min(COPY_BLOCK, total - done);
            const { bytesRead } = await from.read(block, 0, n, pos + done);
            await to.write(block, 0, bytesRead);
            done += bytesRead;
          }
        }
        pos += total;
        if (type === 'IEND') return;
      }
      throw new UndecodableError('heif-convert wrote a PNG without IEND', 'heif-convert');
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
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
      throw new UndecodableError('PDF is protected by a password and cannot be previewed', err.tool, { cause: err });
    }
    throw inputFault(err, 'PDF is damaged or not a PDF');
  }
  const output = `${root}.png`;
  // checked, not assumed from the exit status
  const probe = await open(output, 'r').catch(() => undefined);
  if (probe === undefined) throw new UndecodableError('PDF has no page that could be rendered', 'pdftoppm');
  await probe.close();
  return output;
}
