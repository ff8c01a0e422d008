/**
 * The PDF adapter: the public copy of a document, rewritten by qpdf without its metadata, and
 * previews of its first pages by poppler's pdftoppm. Knows nothing of HTTP, SQL or queues; the
 * caller owns `workDir` and removes it.
 *
 * Why qpdf and not exiftool: exiftool edits a PDF by appending an incremental update, so the
 * old Info dictionary and XMP stay in the file for anyone to read. qpdf writes a new file from
 * the objects still reachable from the trailer, so what is cut loose is gone from the bytes.
 */
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { UndecodableError } from '../errors.js';
import { cleanJpegStreams, jpegStreams } from './pdf-jpeg.js';
import { runTool, ToolError } from './run.js';

/** The rendition name of a document's public copy: its download, never a picture of it. */
export const PUBLIC_PDF_RENDITION = 'document.pdf';

export interface PdfOptions {
  /** budget for every tool this call runs, together; each is killed when it runs out */
  timeoutMs: number;
  signal?: AbortSignal;
  /** default: `qpdf` from PATH */
  qpdfPath?: string;
  /** default: `pdftoppm` from PATH */
  pdftoppmPath?: string;
}

export interface PublicPdf {
  /** the rewritten file, in workDir */
  path: string;
  pages: number;
}

/**
 * Attached files (the document's EmbeddedFiles, a file attachment annotation's or an associated
 * file's embedded stream): whole files of their own, with their names, dates and metadata, that
 * nobody reading the statement sees.
 */
function ATTACHMENT_KEYS(): string[] {
  return ['/EmbeddedFiles', '/EF', '/AF'];
}
/**
 * Annotations a reviewer leaves (comments, highlights, stamps…) name their author (/T) and when
 * they were made: the names and dates go, what they mark stays. Links and form fields (whose /T
 * is a field name) are left as they are.
 */
const MARKUP_ANNOTATIONS = new Set(['/Text', '/FreeText', '/Line', '/Square', '/Circle', '/Polygon', '/PolyLine', '/Highlight', '/Underline',
  '/Squiggly', '/StrikeOut', '/Stamp', '/Caret', '/Ink', '/FileAttachment', '/Sound', '/Redact', '/Popup']);
const ANNOTATION_PRIVATE_KEYS = new Set(['/T', '/M', '/CreationDate']);

/**
 * Keys removed from every dictionary of the file: XMP packets (the document's, and those of
 * pages, images and fonts, which carry authors, tools and edit histories), the private data
 * of the application that made it (PieceInfo: Illustrator, for one, keeps a whole copy of its
 * own document there) with its modification dates, and page thumbnails, which a maker may have
 * left from an earlier draft (viewers draw their own).
 */
const PRIVATE_KEYS = new Set(['/Metadata', '/PieceInfo', '/LastModified', '/Thumb', ...ATTACHMENT_KEYS()]);
/**
 * Removed from the trailer: the document information dictionary (title, author, subject,
 * keywords, creator, producer, dates) and the file identifier, which qpdf would otherwise carry
 * over and which ties the public copy to every other copy of the author's file.
 */
const PRIVATE_TRAILER_KEYS = new Set(['/Info', '/ID']);
/** The file's structure as qpdf JSON, without stream data: ≈ 100 bytes an object. */
const MAX_STRUCTURE_BYTES = 128 * 1024 * 1024;

/** Spreads one time budget over several tool runs. */
function budget(opts: PdfOptions): () => number {
  const deadline = Date.now() + opts.timeoutMs;
  return () => Math.max(1, deadline - Date.now());
}

/** A tool that ran and refused the file: a fault of the input, not worth a retry. */
function inputFault(err: unknown): unknown {
  if (err instanceof ToolError && err.kind === 'exit') {
    if (/password/i.test(err.stderr)) return new UndecodableError('PDF is protected by a password', { cause: err });
    const reason = err.stderr === '' ? `${err.tool} exited with code ${err.exitCode}` : err.stderr;
    return new UndecodableError(`PDF is damaged or not a PDF: ${reason}`, { cause: err });
  }
  return err;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `value` without PRIVATE_KEYS (and markup annotations' authors and dates) at any depth; the same object when nothing was removed. */
export function withoutPrivateKeys(value: Json, keys: ReadonlySet<string> = PRIVATE_KEYS): Json {
  if (Array.isArray(value)) {
    const items = value.map((v) => withoutPrivateKeys(v, keys));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (value === null || typeof value !== 'object') return value;
  let changed = false;
  const out: { [key: string]: Json } = {};
  const markup = keys === PRIVATE_KEYS && MARKUP_ANNOTATIONS.has(value['/Subtype'] as string);
  for (const [k, v] of Object.entries(value)) {
    if (keys.has(k) || (markup && ANNOTATION_PRIVATE_KEYS.has(k))) {
      changed = true;
      continue;
    }
    const kept = withoutPrivateKeys(v, keys);
    if (kept !== v) changed = true;
    out[k] = kept;
  }
  return changed ? out : value;
}

interface QpdfJson {
  qpdf: [Record<string, Json>, Record<string, { value?: Json; stream?: { dict: Json; datafile?: string } }>];
}

/**
 * The qpdf JSON update that removes the private keys: each changed object whole (a stream's
 * dictionary without its data, which qpdf then keeps as it is, or with the file of its cleaned
 * data, named in `cleanedData` by object id), and the trailer.
 */
export function privacyUpdate(structure: QpdfJson, cleanedData: ReadonlyMap<string, string> = new Map()): QpdfJson {
  const [header, objects] = structure.qpdf;
  const changed: QpdfJson['qpdf'][1] = {};
  for (const [id, object] of Object.entries(objects)) {
    if (id === 'trailer') {
      const trailer = withoutPrivateKeys(object.value ?? {}, PRIVATE_TRAILER_KEYS);
      changed[id] = { value: trailer };
    } else if (object.stream) {
      const dict = object.stream.dict as Record<string, Json>;
      // cross-reference and object streams are rebuilt by qpdf; they are not the document's
      if (dict['/Type'] === '/XRef' || dict['/Type'] === '/ObjStm') continue;
      const kept = withoutPrivateKeys(dict);
      const datafile = cleanedData.get(id);
      if (datafile) changed[id] = { stream: { dict: kept, datafile } };
      else if (kept !== dict) changed[id] = { stream: { dict: kept } };
    } else if (object.value !== undefined) {
      const kept = withoutPrivateKeys(object.value);
      if (kept !== object.value) changed[id] = { value: kept };
    }
  }
  return { qpdf: [header, changed] };
}

/**
 * The public copy of `input`: every page and its content as they are, without the document
 * information dictionary, any XMP, PieceInfo, the original file identifier, encryption or
 * earlier revisions, and its JPEG images without their EXIF, IPTC and XMP (see pdf-jpeg.ts); a new identifier derived from the content (so a retried job writes the
 * same bytes), linearized so a browser shows the first page before the rest has arrived.
 */
export async function publicPdf(input: string, workDir: string, opts: PdfOptions): Promise<PublicPdf> {
  const remaining = budget(opts);
  const qpdf = opts.qpdfPath ?? 'qpdf';
  const source = path.resolve(input); // absolute: never read as an option
  const run = (args: string[]) => runTool(qpdf, args, { timeoutMs: remaining(), signal: opts.signal }).catch((err: unknown) => {
    throw inputFault(err);
  });
  const structureFile = path.join(workDir, 'structure.json');
  const updateFile = path.join(workDir, 'update.json');
  const output = path.join(workDir, 'document.pdf');

  await run(['--warning-exit-0', '--json-output=2', '--json-stream-data=none', source, structureFile]);
  if ((await stat(structureFile)).size > MAX_STRUCTURE_BYTES) throw new UndecodableError('PDF has too many objects');
  const structure = JSON.parse(await readFile(structureFile, 'utf8')) as QpdfJson;
  const jpegs = await cleanJpegStreams(jpegStreams(structure.qpdf[1]), source, workDir, run);
  await writeFile(updateFile, JSON.stringify(privacyUpdate(structure, jpegs)));
  await run([
    '--warning-exit-0',
    '--decrypt',
    `--update-from-json=${updateFile}`,
    '--deterministic-id',
    '--linearize',
    source,
    output,
  ]);
  const counted = await run(['--warning-exit-0', '--show-npages', output]);
  const pages = Number.parseInt(counted.stdout.trim(), 10);
  if (!Number.isInteger(pages) || pages < 1) throw new UndecodableError('PDF has no pages');
  return { path: output, pages };
}

export interface PagePreview {
  name: string;
  type: 'image/webp';
  width: number;
  height: number;
  data: Buffer;
}

export interface PreviewOptions extends PdfOptions {
  /** first and last page (1-based, inclusive) */
  first: number;
  last: number;
  /** long edge of each preview, in pixels */
  longEdge: number;
}

/** Page previews are WebP like the photo renditions, at the quality of their medium size. */
const PREVIEW_WEBP = { quality: 78, effort: 2 } as const;

/** `page-<n>.webp` for each page from `first` to `last`, rendered with its CropBox, as viewers show it. */
export async function pagePreviews(pdf: string, workDir: string, opts: PreviewOptions): Promise<PagePreview[]> {
  if (opts.last < opts.first) return [];
  const pdftoppm = opts.pdftoppmPath ?? 'pdftoppm';
  const dir = await mkdtemp(path.join(workDir, 'previews-')); // holds only this call's pages
  const root = path.join(dir, 'preview');
  const args = ['-png', '-f', String(opts.first), '-l', String(opts.last), '-cropbox', '-scale-to', String(opts.longEdge), path.resolve(pdf), root];
  await runTool(pdftoppm, args, { timeoutMs: opts.timeoutMs, signal: opts.signal }).catch((err: unknown) => {
    throw inputFault(err);
  });
  // pdftoppm pads the page number to the width of the page count: preview-2.png, preview-02.png
  const files = (await readdir(dir))
    .map((name) => ({ name, page: /^preview-(\d+)\.png$/.exec(name)?.[1] }))
    .filter((f): f is { name: string; page: string } => f.page !== undefined)
    .map((f) => ({ file: path.join(dir, f.name), page: Number(f.page) }))
    .sort((a, b) => a.page - b.page);
  const out: PagePreview[] = [];
  for (const { file, page } of files) {
    const { data, info } = await sharp(file).webp(PREVIEW_WEBP).toBuffer({ resolveWithObject: true });
    out.push({ name: `page-${page}.webp`, type: 'image/webp', width: info.width, height: info.height, data });
  }
  return out;
}
