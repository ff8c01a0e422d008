import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import t from 'tap';
import { UndecodableError } from '../../src/errors.js';
import { copyJpegWithoutMetadata, copyPngWithoutMetadata, decodableImage, parseHeifInfo } from '../../src/media/decode.js';
import { runTool, ToolError } from '../../src/media/run.js';
import { descendants, waitFor } from '../helpers/processes.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', 'fixtures');
const IPHONE_7_PLUS = path.join(FIXTURES, 'heic_iphone7plus_gps_rot90.heic');
const IPHONE_XS_MAX = path.join(FIXTURES, 'heic_iphone-xs-max_gps.heic');
const PDF = path.join(FIXTURES, 'pdf_distiller_linearized_xmp.pdf');
const LONG = { timeoutMs: 120_000, maxPixels: 200_000_000 };

/** A fresh work dir whose path holds dots, as mkdtemp's often do (heif-convert trips on them). */
async function workDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamha.decode.'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Names of this process's descendants that are media tools (ps failing fails the test). */
function childTools(): string[] {
  return descendants()
    .map((p) => p.command)
    .filter((name) => /^(heif-|pdftoppm|sleep)/.test(name));
}

interface JpegSegment {
  marker: number;
  /** the segment's content after its length */
  data: Buffer;
}

/** The segments of a JPEG up to and including the first SOS. */
function jpegSegments(jpeg: Buffer): JpegSegment[] {
  const segments: JpegSegment[] = [];
  for (let p = 2; p + 4 <= jpeg.length; ) {
    const marker = jpeg[p + 1]!;
    const length = jpeg.readUInt16BE(p + 2);
    segments.push({ marker, data: jpeg.subarray(p + 4, p + 2 + length) });
    if (marker === 0xda) break;
    p += 2 + length;
  }
  return segments;
}

/** A segment's name: the marker in hex, with the identifier of an APPn segment. */
function segmentName({ marker, data }: JpegSegment): string {
  const name = marker.toString(16).toUpperCase();
  if (marker < 0xe0 || marker > 0xef) return name;
  return `${name}:${data.toString('latin1', 0, Math.max(0, data.indexOf(0))).slice(0, 12)}`;
}

/** A JPEG segment with its marker and length. */
function segment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/** The RGB of the centre pixel. */
async function centre(file: string): Promise<number[]> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [...data.subarray(at, at + 3)];
}

/** A PDF written by hand: objects 1..n in order, a classic xref table, and the trailer. */
function handWrittenPdf(objects: string[], trailerExtra = ''): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Page 1: landscape A4, red. Page 2: portrait A4, blue. */
function twoPagePdfObjects(): string[] {
  const stream = (s: string): string => `<< /Length ${s.length} >>\nstream\n${s}\nendstream`;
  return [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 5 0 R >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R >>',
    stream('1 0 0 rg 0 0 842 595 re f'),
    stream('0 0 1 rg 0 0 595 842 re f'),
  ];
}

t.test('turns an iPhone HEIC with EXIF orientation 6 and irot into an upright 3024x4032 JPEG with no EXIF and its ICC profile', async (t) => {
  const dir = await workDir(t);
  const out = await decodableImage(IPHONE_7_PLUS, 'image/heic', dir, LONG);
  t.equal(out.converted, true);
  t.equal(path.dirname(out.path), dir);

  const meta = await sharp(out.path).metadata();
  t.equal(meta.format, 'jpeg');
  t.same([meta.width, meta.height], [3024, 4032], 'portrait: irot applied (stored 4032x3024)');
  t.equal(meta.orientation, undefined, 'no EXIF orientation left to apply a second time');
  t.equal(meta.exif, undefined, 'no EXIF, so no GPS');
  t.equal(meta.xmp, undefined);
  t.equal(meta.iptc, undefined);
  t.same(
    [...new Set(jpegSegments(await readFile(out.path)).map(segmentName))],
    ['E0:JFIF', 'E2:ICC_PROFILE', 'DB', 'C0', 'C4', 'DA'],
  );
  const original = await sharp(IPHONE_7_PLUS).metadata();
  t.ok(original.icc !== undefined && original.icc.length > 0, 'the HEIC has an ICC profile');
  t.same(meta.icc, original.icc, 'the same ICC profile (Display P3)');

  // what the image pipeline does next: rotate() must change nothing
  const plain = await sharp(out.path).resize(48).raw().toBuffer({ resolveWithObject: true });
  const rotated = await sharp(out.path).rotate().resize(48).raw().toBuffer({ resolveWithObject: true });
  t.same([rotated.info.width, rotated.info.height], [plain.info.width, plain.info.height]);
  t.ok(rotated.data.equals(plain.data), "sharp's rotate() is a no-op on the JPEG");
  t.same(await readdir(dir), ['image.jpg'], 'only the result is left in the work dir');
});

t.test('turns an iPhone XS Max HEIC into a 4032x3024 JPEG', async (t) => {
  const dir = await workDir(t);
  const out = await decodableImage(IPHONE_XS_MAX!, 'image/heic', dir, LONG);
  const meta = await sharp(out.path).metadata();
  t.equal(meta.format, 'jpeg');
  t.same([meta.width, meta.height], [4032, 3024]);
  t.equal(meta.orientation, undefined);
  t.equal(meta.exif, undefined);
  t.equal(meta.xmp, undefined);
  t.equal(meta.iptc, undefined);
  t.ok(meta.icc !== undefined);
  const plain = await sharp(out.path).resize(48).raw().toBuffer();
  const rotated = await sharp(out.path).rotate().resize(48).raw().toBuffer();
  t.ok(rotated.equals(plain), "sharp's rotate() is a no-op");
  t.same(await readdir(dir), ['image.jpg']);
});

t.test('decodes only the primary image of a multi-image HEIF', async (t) => {
  const dir = await workDir(t);
  const src = await workDir(t);
  const first = path.join(src, 'first.png');
  const second = path.join(src, 'second.png');
  await sharp({ create: { width: 96, height: 64, channels: 3, background: '#ff0000' } }).png().toFile(first);
  await sharp({ create: { width: 32, height: 48, channels: 3, background: '#0000ff' } }).png().toFile(second);
  const file = path.join(src, 'two.heic');
  await run('heif-enc', ['-q', '90', first, second, '-o', file]);
  // make the second image primary: pitm (version 0) holds a 16-bit item id after its header
  const heic = await readFile(file);
  const { stdout } = await run('heif-info', [file]);
  const ids = [...stdout.matchAll(/^image: \d+x\d+ \(id=(\d+)\)/gm)].map((m) => Number(m[1]));
  t.equal(ids.length, 2);
  const pitm = heic.indexOf('pitm', 0, 'latin1') - 4;
  heic.writeUInt16BE(ids[1]!, pitm + 12);
  await writeFile(file, heic);

  const out = await decodableImage(file, 'image/heif', dir, LONG);
  const meta = await sharp(out.path).metadata();
  t.equal(meta.format, 'jpeg');
  t.same([meta.width, meta.height], [32, 48]);
  t.equal(meta.exif, undefined);
  const [r, g, b] = await centre(out.path);
  t.ok(b! > 200 && r! < 60 && g! < 60, `blue, the primary: ${[r, g, b]}`);
  t.same(await readdir(dir), ['image.jpg'], "the other image's JPEG is not left behind");
});

/** A 96×64 HEIC, red, its left half transparent, with EXIF orientation 6 (and no irot) copied in by heif-enc. */
async function heicWithAlpha(dir: string): Promise<string> {
  const w = 96;
  const h = 64;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([220, 30, 30, i % w < w / 2 ? 0 : 255], i * 4);
  const png = path.join(dir, 'src.png');
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).withMetadata({ orientation: 6 }).png().toFile(png);
  const file = path.join(dir, 'alpha.heic');
  await run('heif-enc', ['-q', '90', png, '-o', file]);
  return file;
}

/** The alpha at 1/4 and 3/4 of the width, half-way down. */
async function alphaLeftRight(file: string): Promise<[number, number]> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number) => data[(Math.floor(info.height / 2) * info.width + x) * info.channels + 3]!;
  return [at(Math.floor(info.width / 4)), at(Math.floor((info.width * 3) / 4))];
}

t.test('keeps the alpha channel of a HEIC that has one: a PNG with no EXIF, transparent where the source is', async (t) => {
  const dir = await workDir(t);
  const src = await workDir(t);
  const file = await heicWithAlpha(src);
  const info = parseHeifInfo((await run('heif-info', [file])).stdout);
  t.same(info, [{ width: 96, height: 64, primary: true, alpha: true, thumbnails: [] }], 'heif-info reports the alpha channel');

  const out = await decodableImage(file, 'image/heic', dir, LONG);
  const meta = await sharp(out.path).metadata();
  t.same([meta.format, meta.hasAlpha, meta.width, meta.height], ['png', true, 96, 64]);
  t.equal(meta.exif, undefined, 'the EXIF heif-convert copies is gone');
  t.equal(meta.orientation, undefined, 'so its orientation cannot turn the picture again');
  const [left, right] = await alphaLeftRight(out.path);
  t.ok(left < 10 && right > 245, `transparent left, opaque right: ${left}, ${right}`);
  const [r, g, b] = await centre(out.path);
  t.ok(r! > 180 && g! < 80 && b! < 80, `red: ${[r, g, b]}`);
  t.same(await readdir(dir), ['image.png'], 'only the result is left in the work dir');

  // a HEIC without alpha still goes the faster way, through a JPEG
  t.same(parseHeifInfo((await run('heif-info', [IPHONE_XS_MAX])).stdout).map((i) => i.alpha), [false]);
});

t.test('copies a PNG without its metadata: no eXIf or text chunks, the ICC profile and pixels kept', async (t) => {
  const dir = await workDir(t);
  const src = path.join(dir, 'tagged.png');
  await sharp(path.join(FIXTURES, 'png_rgba_alpha.png')).resize(200)
    .withIccProfile('p3').withExif({ IFD0: { Artist: 'Somebody', ImageDescription: 'caption' } }).withMetadata({ orientation: 6 }).withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    .png().toFile(src);
  const before = await sharp(src).metadata();
  t.ok(before.exif && before.xmp && before.icc && before.orientation === 6, 'the source carries EXIF, XMP and ICC');

  const dest = path.join(dir, 'clean.png');
  await copyPngWithoutMetadata(src, dest);
  const after = await sharp(dest).metadata();
  t.same([after.exif, after.xmp, after.orientation], [undefined, undefined, undefined]);
  t.ok(after.icc?.equals(before.icc!), 'the ICC profile is kept byte for byte');
  const pixels = async (f: string) => sharp(f).raw().toBuffer();
  t.ok((await pixels(dest)).equals(await pixels(src)), 'the same pixels, alpha included');
  const text = (await readFile(dest)).toString('latin1');
  t.notOk(/eXIf|tEXt|iTXt|zTXt|Somebody/.test(text), 'no metadata chunk left');

  const truncated = path.join(dir, 'truncated.png');
  await writeFile(truncated, (await readFile(src)).subarray(0, 300));
  await t.rejects(copyPngWithoutMetadata(truncated, path.join(dir, 'x.png')), { code: 'LAMHA_UNDECODABLE', message: /heif-convert wrote a truncated PNG$/ });
  await t.rejects(copyPngWithoutMetadata(path.join(FIXTURES, 'exif-orientation_1.jpg'), path.join(dir, 'y.png')), { code: 'LAMHA_UNDECODABLE', message: /heif-convert wrote no PNG$/ });
});

t.test('copies a JPEG without its metadata, keeping a multi-segment ICC profile whole', async (t) => {
  const dir = await workDir(t);
  // libvips' built-in CMYK profile is far larger than one APP2 segment (65519 bytes of profile)
  const made = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3080c0' } })
    .withMetadata({ orientation: 6 })
    .withIccProfile('cmyk')
    .withExif({ IFD0: { Copyright: 'Lamha test' } })
    .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
    .jpeg({ quality: 90 })
    .toBuffer();
  // an IPTC record (APP13) and a comment, which sharp does not write, go in after SOI
  const iptc = Buffer.concat([
    Buffer.from('Photoshop 3.0\0', 'latin1'),
    Buffer.from('8BIM\x04\x04\0\0\0\0\0\x0e', 'latin1'),
    Buffer.from('\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x78\x00\x02hi', 'latin1'),
  ]);
  const src = path.join(dir, 'with-metadata.jpg');
  await writeFile(src, Buffer.concat([made.subarray(0, 2), segment(0xfe, Buffer.from('a comment')), segment(0xed, iptc), made.subarray(2)]));
  const before = await sharp(src).metadata();
  t.ok(before.icc !== undefined && before.icc.length > 3 * 65519, `a profile of ${before.icc?.length} bytes`);
  t.ok(before.exif !== undefined && before.xmp !== undefined && before.iptc !== undefined);
  t.equal(before.orientation, 6);
  const original = jpegSegments(await readFile(src)).map(segmentName);
  t.ok(original.includes('FE'), 'a comment');
  const chunks = original.filter((n) => n === 'E2:ICC_PROFILE');
  t.ok(chunks.length > 3, `${chunks.length} ICC_PROFILE segments`);

  const dest = path.join(dir, 'clean.jpg');
  await copyJpegWithoutMetadata(src, dest);
  const after = await sharp(dest).metadata();
  t.same(after.icc, before.icc, 'the same ICC profile, byte for byte');
  t.equal(after.space, 'cmyk');
  t.equal(after.orientation, undefined);
  t.equal(after.exif, undefined);
  t.equal(after.xmp, undefined);
  t.equal(after.iptc, undefined);
  const names = jpegSegments(await readFile(dest)).map(segmentName);
  t.notOk(names.some((n) => /^(E1|ED|FE)/.test(n)), `${[...new Set(names)]}`);
  t.ok(names.includes('EE:Adobe'), "Adobe's colour transform flag is kept");
  const pixels = await sharp(dest).raw().toBuffer();
  t.ok(pixels.equals(await sharp(src).raw().toBuffer()), 'the same pixels');
  t.ok(pixels.equals(await sharp(made).raw().toBuffer()), 'and the same as the JPEG sharp made');

  const truncated = path.join(dir, 'truncated.jpg');
  await writeFile(truncated, (await readFile(src)).subarray(0, 200_000));
  await t.rejects(copyJpegWithoutMetadata(truncated, path.join(dir, 'out.jpg')), { code: 'LAMHA_UNDECODABLE', message: /heif-convert wrote a JPEG without EOI$/ });
});

t.test('refuses a corrupt HEIC and a truncated one with an UndecodableError naming the reason', async (t) => {
  const dir = await workDir(t);
  const heic = await readFile(IPHONE_7_PLUS);
  const corrupt = path.join(dir, 'corrupt.heic');
  await writeFile(corrupt, Buffer.concat([heic.subarray(0, 40), randomBytes(5000)]));
  const truncated = path.join(dir, 'truncated.heic');
  await writeFile(truncated, heic.subarray(0, 200_000));

  const e1 = await decodableImage(corrupt, 'image/heic', dir, LONG).catch((e: unknown) => e);
  t.type(e1, UndecodableError);
  t.match(e1, { code: 'LAMHA_UNDECODABLE', statusCode: 422 });
  t.match((e1 as Error).message, /^The file cannot be decoded: not a readable HEIF file: .*meta/);
  const e2 = await decodableImage(truncated, 'image/heic', dir, LONG).catch((e: unknown) => e);
  t.type(e2, UndecodableError);
  t.match(e2, { code: 'LAMHA_UNDECODABLE' });
  t.match((e2 as Error).message, /HEIF.*(end of file|outside of file)/i);
  t.same((await readdir(dir)).sort(), ['corrupt.heic', 'truncated.heic'], 'no output left');
});

t.test('renders the first page of a PDF with a 2048 px long edge', async (t) => {
  const dir = await workDir(t);
  const out = await decodableImage(PDF, 'application/pdf', dir, LONG);
  t.equal(out.converted, true);
  const meta = await sharp(out.path).metadata();
  t.equal(meta.format, 'png');
  t.equal(meta.height, 2048, 'A4 portrait: the height is the long edge');
  t.ok(Math.abs(meta.width - Math.round((2048 * 595) / 842)) <= 1, `width ${meta.width}`);
});

t.test('renders only page 1 of a two-page PDF', async (t) => {
  const dir = await workDir(t);
  const file = path.join(dir, 'two.pdf');
  await writeFile(file, handWrittenPdf(twoPagePdfObjects()));
  const { stdout } = await run('pdfinfo', [file]);
  t.match(stdout, /^Pages:\s+2$/m);

  const out = await decodableImage(file, 'application/pdf', dir, LONG);
  const meta = await sharp(out.path).metadata();
  t.same([meta.width, meta.height], [2048, 1448], 'landscape: page 1');
  t.same(await centre(out.path), [255, 0, 0], 'red: page 1');
  t.same((await readdir(dir)).sort(), ['page.png', 'two.pdf'], 'one page rendered');
});

t.test('refuses a password-protected PDF and a damaged one with clear UndecodableErrors', async (t) => {
  const dir = await workDir(t);
  // Standard security handler with O/U entries no password matches: readers ask for one.
  const hex = (n: number): string => randomBytes(n).toString('hex');
  const encrypted = path.join(dir, 'encrypted.pdf');
  await writeFile(
    encrypted,
    handWrittenPdf(
      [...twoPagePdfObjects(), `<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <${hex(32)}> /U <${hex(32)}> >>`],
      `/Encrypt 7 0 R /ID [<${hex(16)}> <${hex(16)}>] `,
    ),
  );
  const damaged = path.join(dir, 'damaged.pdf');
  await writeFile(damaged, '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pa');

  const e1 = await decodableImage(encrypted, 'application/pdf', dir, LONG).catch((e: unknown) => e);
  t.type(e1, UndecodableError);
  t.match(e1, { code: 'LAMHA_UNDECODABLE' });
  t.equal((e1 as Error).message, 'The file cannot be decoded: PDF is protected by a password and cannot be previewed');
  const e2 = await decodableImage(damaged, 'application/pdf', dir, LONG).catch((e: unknown) => e);
  t.type(e2, UndecodableError);
  t.match(e2, { code: 'LAMHA_UNDECODABLE' });
  t.match((e2 as Error).message, /^The file cannot be decoded: PDF is damaged or not a PDF: .*Syntax Error/s);
  t.notOk((await readdir(dir)).includes('page.png'));
});

t.test('kills a tool that outlives a 1 ms timeout and leaves no process behind', async (t) => {
  const dir = await workDir(t);
  for (const [input, mime, tool] of [
    [IPHONE_7_PLUS, 'image/heic', 'heif-info'],
    [PDF, 'application/pdf', 'pdftoppm'],
  ] as const) {
    const err = await decodableImage(input, mime, dir, { ...LONG, timeoutMs: 1 }).catch((e: unknown) => e);
    t.type(err, ToolError, tool);
    t.equal((err as ToolError).kind, 'timeout');
    t.equal((err as ToolError).tool, tool);
    t.match((err as Error).message, new RegExp(`^${tool} timed out after 1 ms and was killed`));
    t.same(childTools(), [], 'no child process remains');
  }
});

t.test('kills heif-convert when the budget runs out mid-conversion and removes its partial output', async (t) => {
  const dir = await workDir(t);
  // A converter that has written part of its output and then hangs: the budget runs out
  // mid-conversion whatever the machine's load (a budget timed against the real tool raced it).
  // The real heif-info runs first, on the same budget: it took over 3 s under the full suite.
  const bin = await workDir(t);
  const hanging = path.join(bin, 'heif-convert');
  await writeFile(hanging, '#!/bin/sh\nfor out; do :; done\nhead -c 4096 /dev/urandom > "$out"\nexec sleep 600\n', { mode: 0o755 });
  let partial: string[] = [];
  const watch = setInterval(() => {
    readdir(dir).then((names) => { if (names.length > 0) partial = names; }, () => {});
  }, 20);
  const err = await decodableImage(IPHONE_7_PLUS, 'image/heic', dir, { ...LONG, timeoutMs: 8000, heifConvertPath: hanging })
    .catch((e: unknown) => e)
    .finally(() => clearInterval(watch));
  t.type(err, ToolError);
  t.equal((err as ToolError).kind, 'timeout');
  t.equal((err as ToolError).tool, 'heif-convert');
  t.ok(partial.length > 0, `control: the converter had written part of its output (${partial})`);
  t.same(childTools(), [], 'no child process remains');
  t.same(await readdir(dir), [], 'no partial JPEG left');
});

t.test('honours an abort signal, before and during a conversion', async (t) => {
  const dir = await workDir(t);
  const before = await decodableImage(IPHONE_7_PLUS, 'image/heic', dir, { ...LONG, signal: AbortSignal.abort() }).catch(
    (e: unknown) => e,
  );
  t.type(before, ToolError);
  t.equal((before as Error).name, 'AbortError');

  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('worker shutting down')), 400);
  const during = await decodableImage(IPHONE_7_PLUS, 'image/heic', dir, { ...LONG, signal: controller.signal }).catch(
    (e: unknown) => e,
  );
  t.type(during, ToolError);
  t.equal((during as Error).name, 'AbortError');
  t.equal((during as ToolError).kind, 'abort');
  t.match((during as Error).message, /^heif-(info|convert) was aborted and killed/);
  // the kind says it was aborted; the bound, far under LONG's timeout, catches only a wait for it on a busy machine
  t.ok(Date.now() - started < 30_000, 'promptly, not at the timeout');
  t.same(childTools(), [], 'no child process remains');
  t.same(await readdir(dir), [], 'no partial JPEG left');
});

t.test('control: the leftover-process check sees a conversion while it runs', async (t) => {
  const dir = await workDir(t);
  const controller = new AbortController();
  const running = decodableImage(IPHONE_7_PLUS, 'image/heic', dir, { ...LONG, signal: controller.signal }).catch((e: unknown) => e);
  const seen = await waitFor(() => childTools().some((name) => name.startsWith('heif-')), 30_000);
  controller.abort();
  t.ok(seen, 'heif-info or heif-convert was seen running');
  t.match(await running, { kind: 'abort' });
  t.same(childTools(), [], 'and is gone once the call has settled');
});

t.test('hands back other types untouched', async (t) => {
  const dir = await workDir(t);
  for (const [file, mime] of [
    ['exif-orientation_1.jpg', 'image/jpeg'],
    ['png_rgba_alpha.png', 'image/png'],
    ['avif_iphone12pro_exif_gps.avif', 'image/avif'],
  ]) {
    const input = path.join(FIXTURES, file!);
    t.same(await decodableImage(input, mime!, dir, LONG), { path: input, converted: false }, `${file}`);
  }
  t.same(await readdir(dir), []);
});

t.test('reports a missing tool as not found, naming it', async (t) => {
  const dir = await workDir(t);
  const heif = await decodableImage(IPHONE_7_PLUS, 'image/heic', dir, { ...LONG, heifInfoPath: '/nonexistent/heif-info' }).catch(
    (e: unknown) => e,
  );
  t.type(heif, ToolError);
  t.equal((heif as ToolError).kind, 'spawn');
  t.match((heif as Error).message, /^heif-info could not be started \(not found/);
  const pdf = await decodableImage(PDF, 'application/pdf', dir, { ...LONG, pdftoppmPath: '/nonexistent/pdftoppm' }).catch(
    (e: unknown) => e,
  );
  t.match((pdf as Error).message, /^pdftoppm could not be started \(not found/);
});

t.test('runTool passes arguments without a shell and bounds the stderr it keeps', async (t) => {
  const echoed = await runTool('echo', ['$(id)', ';', 'ls', '*'], { timeoutMs: 5000 });
  t.equal(echoed.stdout, '$(id) ; ls *\n');

  const noisy = await runTool('sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" x >&2; echo the-reason >&2; exit 2'], {
    timeoutMs: 5000,
    maxStderr: 1000,
  }).catch((e: unknown) => e);
  t.type(noisy, ToolError);
  t.equal((noisy as ToolError).kind, 'exit');
  t.equal((noisy as ToolError).exitCode, 2);
  t.ok((noisy as Error).message.length < 1100, `message of ${(noisy as Error).message.length} chars`);
  t.match((noisy as Error).message, /^sh exited with code 2: …x+the-reason$/);
});
