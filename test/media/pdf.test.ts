/** The PDF adapter on real files: qpdf's rewrite, poppler's previews, and what they refuse. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import t from 'tap';
import { pagePreviews, privacyUpdate, publicPdf, withoutPrivateKeys } from '../../src/media/pdf.js';
import { scanData, writePdfWithJpeg } from './pdf-maker.js';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const STATEMENT = fixture('pdf_chromium_5pages_page-xmp_incremental.pdf');
const TOOL = { timeoutMs: 60_000 };
const exiftool = new ExifTool({ maxProcs: 1 });
t.teardown(() => exiftool.end());

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-pdf-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
const textOf = async (file: string) => (await run('pdftotext', ['-layout', file, '-'])).stdout;

t.test('the JSON update drops metadata keys at any depth, the trailer\'s Info and ID, and leaves the rest out', async (t) => {
  const nested = { '/Type': '/Page', '/Resources': { '/Font': { '/F1': { '/Metadata': '9 0 R', '/BaseFont': '/Helvetica' } } }, '/PieceInfo': { '/App': {} }, '/Thumb': '8 0 R', '/LastModified': 'u:D:2026' };
  t.same(withoutPrivateKeys(nested), { '/Type': '/Page', '/Resources': { '/Font': { '/F1': { '/BaseFont': '/Helvetica' } } } });
  const comment = { '/Type': '/Annot', '/Subtype': '/Text', '/T': 'u:Reviewer Name', '/M': 'u:D:20261201', '/Contents': 'u:Typo', '/Rect': [0, 0, 10, 10] };
  t.same(withoutPrivateKeys(comment), { '/Type': '/Annot', '/Subtype': '/Text', '/Contents': 'u:Typo', '/Rect': [0, 0, 10, 10] }, "a comment's author and date go");
  const field = { '/Type': '/Annot', '/Subtype': '/Widget', '/T': 'u:signature', '/FT': '/Sig' };
  t.equal(withoutPrivateKeys(field), field, "a form field's name stays");
  t.same(withoutPrivateKeys({ '/Type': '/Catalog', '/Names': { '/EmbeddedFiles': '9 0 R', '/Dests': '8 0 R' }, '/AF': ['7 0 R'] }), { '/Type': '/Catalog', '/Names': { '/Dests': '8 0 R' } }, 'attached files go');
  const untouched = { '/Type': '/Pages', '/Kids': ['3 0 R'] };
  t.equal(withoutPrivateKeys(untouched), untouched, 'an object without them is the same object');

  const update = privacyUpdate({
    qpdf: [{ jsonversion: 2 }, {
      'obj:1 0 R': { value: { '/Type': '/Catalog', '/Metadata': '2 0 R', '/Pages': '3 0 R' } },
      'obj:2 0 R': { stream: { dict: { '/Type': '/Metadata', '/Subtype': '/XML' } } },
      'obj:3 0 R': { value: untouched },
      'obj:4 0 R': { stream: { dict: { '/Subtype': '/Image', '/Metadata': '2 0 R', '/Width': 10 } } },
      'obj:5 0 R': { stream: { dict: { '/Type': '/XRef', '/Info': '6 0 R', '/ID': ['b:00'] } } },
      trailer: { value: { '/Root': '1 0 R', '/Info': '6 0 R', '/ID': ['b:aa', 'b:bb'], '/Size': 7 } },
    }],
  });
  t.same(update.qpdf[1], {
    'obj:1 0 R': { value: { '/Type': '/Catalog', '/Pages': '3 0 R' } },
    'obj:4 0 R': { stream: { dict: { '/Subtype': '/Image', '/Width': 10 } } },
    trailer: { value: { '/Root': '1 0 R', '/Size': 7 } },
  }, 'changed objects only; a stream without its data (qpdf keeps the data); xref streams are qpdf\'s own');
});

t.test('a PDF with an attached file is made public without it, same pages and text', async (t) => {
  const dir = await tempDir(t);
  const draft = path.join(dir, 'draft-notes.txt');
  await writeFile(draft, 'Internal notes: the names of the people interviewed');
  const attached = path.join(dir, 'attached.pdf');
  await run('qpdf', [STATEMENT, '--add-attachment', draft, '--key=notes', '--', attached]);
  t.match((await run('qpdf', ['--list-attachments', attached])).stdout, /notes/, 'the upload has it');
  const out = await publicPdf(attached, dir, TOOL);
  t.match((await run('qpdf', ['--list-attachments', out.path])).stdout, /no embedded files/i, 'the public copy has none');
  t.notOk((await readFile(out.path)).includes('Internal notes'), 'nor its bytes');
  t.equal(out.pages, 5);
  t.equal(await textOf(out.path), await textOf(STATEMENT));
});

t.test('an owner-password PDF (opens without a password) is made public unencrypted, without metadata, same text', async (t) => {
  const dir = await tempDir(t);
  const locked = path.join(dir, 'locked.pdf');
  await run('qpdf', ['--encrypt', '', 'owner-secret', '256', '--print=none', '--', STATEMENT, locked]);
  const out = await publicPdf(locked, dir, TOOL);
  t.equal(out.pages, 5);
  t.match((await run('qpdf', ['--show-encryption', out.path])).stdout, /not encrypted/);
  const tags = (await exiftool.read(out.path, { readArgs: ['-G1', '-a'] })) as unknown as Record<string, unknown>;
  t.same(Object.keys(tags).filter((k) => /^XMP|^PDF:(Author|Creator|Producer|Title|Subject|Keywords)$/.test(k)), []);
  t.equal(await textOf(out.path), await textOf(STATEMENT));
});

t.test('the same upload gives the same bytes (a retried job rewrites the same object)', async (t) => {
  const [a, b] = [await tempDir(t), await tempDir(t)];
  const [x, y] = [await publicPdf(STATEMENT, a, TOOL), await publicPdf(STATEMENT, b, TOOL)];
  t.ok((await readFile(x.path)).equals(await readFile(y.path)));
});

t.test('a PDF that needs a password to open, and a file that is no PDF, are input faults', async (t) => {
  const dir = await tempDir(t);
  const locked = path.join(dir, 'locked.pdf');
  await run('qpdf', ['--encrypt', 'user-secret', 'owner-secret', '256', '--', STATEMENT, locked]);
  await t.rejects(publicPdf(locked, dir, TOOL), { code: 'LAMHA_UNDECODABLE', message: /password/ });
  const junk = path.join(dir, 'junk.pdf');
  await writeFile(junk, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096, 0x41)]));
  await t.rejects(publicPdf(junk, dir, TOOL), { code: 'LAMHA_UNDECODABLE' });
});

t.test('previews of the pages asked for, numbered right when pdftoppm pads the numbers (12 pages)', async (t) => {
  const dir = await tempDir(t);
  const twelve = path.join(dir, 'twelve.pdf');
  // pages 1–5, 1–5, 1–2 of the statement
  await run('qpdf', ['--empty', '--pages', STATEMENT, STATEMENT, STATEMENT, '1-2', '--', twelve]);
  const previews = await pagePreviews(twelve, dir, { ...TOOL, first: 2, last: 4, longEdge: 512 });
  t.same(previews.map((p) => p.name), ['page-2.webp', 'page-3.webp', 'page-4.webp']);
  const made = await readdir(dir, { recursive: true });
  t.ok(made.some((n) => n.endsWith('preview-02.png')), `pdftoppm padded the numbers (${made.filter((n) => n.endsWith('.png')).join(', ')})`);
  for (const p of previews) {
    const meta = await sharp(p.data).metadata();
    t.same([meta.format, meta.width, meta.height], ['webp', p.width, p.height]);
    t.equal(Math.max(p.width, p.height), 512);
  }
  t.same(await pagePreviews(twelve, dir, { ...TOOL, first: 2, last: 1, longEdge: 512 }), [], 'a one-page document has none');
});

t.test('a JPEG inside the PDF loses its EXIF (GPS, camera), IPTC and XMP, and keeps its image data byte for byte', async (t) => {
  const dir = await tempDir(t);
  const photo = await readFile(fixture('jpeg_nikon-d2x_gps_iptc_xmp.jpg'));
  const input = path.join(dir, 'photo.pdf');
  await writePdfWithJpeg(input, photo, 'A photo of the venue');
  const embedded = async (file: string) => Object.keys((await exiftool.read(file, { readArgs: ['-G1', '-a', '-ee'] })) as object);
  // exiftool-vendored keeps one of each tag name, from whichever group: look at the names
  const private_ = (keys: string[]) => keys.filter((k) => /GPS|Serial|^(IFD0|ExifIFD|MakerNotes|Nikon|IPTC|XMP)|:(Make|Model)$/.test(k));
  t.ok(private_(await embedded(input)).some((k) => /GPSLatitude/.test(k)), 'the upload carries the camera\'s GPS inside the PDF');

  const out = await publicPdf(input, dir, TOOL);
  t.same(private_(await embedded(out.path)), [], 'exiftool finds none of it in the public copy');
  const images = path.join(dir, 'img');
  await run('pdfimages', ['-j', out.path, images]);
  const kept = await readFile(`${images}-000.jpg`);
  t.ok(scanData(kept).equals(scanData(photo)), 'the image data is the original\'s');
  t.notOk(kept.includes(Buffer.from('NIKON')), 'no maker in the image bytes');
  t.equal((await textOf(out.path)).trim(), 'A photo of the venue');
});

t.test('what follows a JPEG\'s end inside the PDF goes: a stream\'s padding, a phone\'s trailer data', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['padded', Buffer.concat([await readFile(fixture('jpeg_iphone-4s_gps.jpg')), Buffer.from('\r\n\0\0\0')]), 'Apple'],
    // the vivo X90 Pro+ writes a JSON trailer ("cameralbum", camera modes) after its EOI
    ['phone trailer', await readFile(fixture('jpeg_vivo-x90pro_gps_offsettime.jpg')), 'cameralbum'],
  ];
  for (const [what, jpeg, marker] of cases) {
    const dir = await tempDir(t);
    const input = path.join(dir, 'in.pdf');
    await writePdfWithJpeg(input, jpeg, 'Photo');
    const out = await publicPdf(input, dir, TOOL);
    await run('pdfimages', ['-j', out.path, path.join(dir, 'img')]);
    const kept = await readFile(path.join(dir, 'img-000.jpg'));
    const scans = scanData(kept);
    t.equal(scans.readUInt16BE(scans.length - 2), 0xffd9, `${what}: ends at the image's end`);
    t.ok(scans.equals(scanData(jpeg).subarray(0, scans.length)), `${what}: the image data whole, up to its end`);
    t.ok(jpeg.includes(Buffer.from(marker)), `${what}: the upload holds "${marker}"`);
    t.notOk(kept.includes(Buffer.from(marker)), `${what}: the public copy does not`);
    t.equal((await sharp(kept).metadata()).format, 'jpeg', `${what}: still a JPEG`);
  }
});
