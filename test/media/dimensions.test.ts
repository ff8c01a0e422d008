import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import t from 'tap';
import { dimensionsFromHead } from '../../src/media/dimensions.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', 'fixtures');
const HEAD = 256 * 1024;

const MIME_BY_EXT: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.avif': 'image/avif',
};
const HEIF_FAMILY = new Set(['image/heic', 'image/avif']);
/** Made to be refused (test/fixtures/make-hostile-images.ts): a small first image, a huge other one. */
const HOSTILE: Record<string, { width: number; height: number }> = {
  'heif_small-primary_huge-secondary.heic': { width: 20000, height: 20000 },
  'tiff_small-page1_huge-page2.tif': { width: 20000, height: 20000 },
};

/** What a decoder sees: sharp's header dimensions (stored, before orientation), no pixel limit. */
async function sharpSize(input: Buffer | string): Promise<{ width: number; height: number }> {
  const m = await sharp(input, { limitInputPixels: false }).metadata();
  return { width: m.width, height: m.height };
}

/** heif-info's primary image (after irot, which may swap the sides). */
async function heifInfoPrimary(file: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('heif-info', [file]);
  const m = /^image: (\d+)x(\d+) \(id=\d+\), primary/m.exec(stdout);
  if (m === null) throw new Error(`heif-info names no primary image:\n${stdout}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Every image fixture of the project. */
function imageFixtures(): string[] {
  return readdirSync(FIXTURES).filter((f) => MIME_BY_EXT[path.extname(f).toLowerCase()] !== undefined).map((f) => path.join(FIXTURES, f));
}

function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

t.test('reads the stored dimensions of every real image fixture, as the decoders do', async (t) => {
  const files = imageFixtures();
  const mimes = new Set(files.map((f) => MIME_BY_EXT[path.extname(f).toLowerCase()]));
  t.same([...mimes].sort(), [...new Set(Object.values(MIME_BY_EXT))].sort(), 'a fixture of every type read here');
  for (const file of files) {
    const name = path.relative(path.join(here, '..', '..', '..'), file);
    const mime = MIME_BY_EXT[path.extname(file).toLowerCase()]!;
    const whole = readFileSync(file);
    const full = dimensionsFromHead(whole, mime);
    const hostile = HOSTILE[path.basename(file)];
    if (hostile !== undefined) {
      t.same(full, hostile, `${name}: its huge second image, not the small first one`);
    } else if (HEIF_FAMILY.has(mime)) {
      // Compared with what decodes it in Lamha: heif-info (libheif 1.15) for HEIC, sharp for AVIF.
      // Both show the size after irot, so the sides may be swapped. A fixture the decoder
      // cannot read fails here: every fixture is one Lamha must take.
      const info = await (mime === 'image/heic' ? heifInfoPrimary(file) : sharpSize(file));
      if (full === undefined) {
        t.fail(`${name}: no dimensions found`);
        continue;
      }
      t.equal(full.width * full.height, info.width * info.height, `${name}: pixel count as its decoder`);
      t.same([full.width, full.height].sort(), [info.width, info.height].sort(), `${name}: sides as its decoder`);
    } else {
      t.same(full, await sharpSize(file), `${name}: as sharp`);
    }
    // From the first 256 KiB: the same answer, or none when the header lies beyond them.
    const head = dimensionsFromHead(whole.subarray(0, HEAD), mime);
    if (head === undefined) t.ok(whole.length > HEAD, `${name}: only a file longer than the head may go unanswered`);
    else t.same(head, full, `${name}: head answers as the whole file`);
  }
});

t.test('returns stored (pre-orientation) dimensions for a JPEG with EXIF orientation 6', async (t) => {
  // exif-orientation_6: 450x600 stored, shown 600x450
  const file = fixture('exif-orientation_6.jpg');
  const m = await sharp(file).metadata();
  t.equal(m.orientation, 6);
  t.same(dimensionsFromHead(readFileSync(file), 'image/jpeg'), { width: 450, height: 600 });
});

t.test('returns the stored size of an iPhone HEIC whose irot turns it upright', async (t) => {
  const file = path.join(FIXTURES, 'heic_iphone7plus_gps_rot90.heic');
  t.same(dimensionsFromHead(readFileSync(file).subarray(0, HEAD), 'image/heic'), { width: 4032, height: 3024 });
  t.same(await heifInfoPrimary(file), { width: 3024, height: 4032 });
});

// ---------------------------------------------------------------- pixel bombs, made here

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** offset of the first SOFn marker of a JPEG made by sharp */
function sofOffset(jpeg: Buffer): number {
  let p = 2;
  while (!(jpeg[p + 1]! >= 0xc0 && jpeg[p + 1]! <= 0xc2)) p += 2 + jpeg.readUInt16BE(p + 2);
  return p;
}
async function smallJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } }).jpeg().toBuffer();
}

t.test('reads a 50000x50000 PNG bomb from its IHDR, agreeing with sharp', async (t) => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50000, 0);
  ihdr.writeUInt32BE(50000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const idat = pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
  const bomb = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    idat,
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  t.ok(bomb.length < 100, `${bomb.length} bytes`);
  t.same(dimensionsFromHead(bomb, 'image/png'), { width: 50000, height: 50000 });
  t.same(await sharpSize(bomb), { width: 50000, height: 50000 });
  await t.rejects(sharp(bomb).metadata(), /pixel limit/, 'sharp refuses it by default too');
});

t.test('reads a JPEG bomb whose SOF0 says 65000x65000, and the same with arithmetic-coded SOF10', async (t) => {
  const jpeg = await smallJpeg();
  const at = sofOffset(jpeg);
  const bomb = Buffer.from(jpeg);
  bomb.writeUInt16BE(65000, at + 5);
  bomb.writeUInt16BE(65000, at + 7);
  t.same(dimensionsFromHead(bomb, 'image/jpeg'), { width: 65000, height: 65000 });
  t.same(await sharpSize(bomb), { width: 65000, height: 65000 });

  const arithmetic = Buffer.from(bomb);
  arithmetic[at + 1] = 0xca;
  t.same(dimensionsFromHead(arithmetic, 'image/jpeg'), { width: 65000, height: 65000 });
  t.same(await sharpSize(arithmetic), { width: 65000, height: 65000 }, "sharp's libjpeg reads SOF10 headers");
});

t.test('finds a JPEG frame header after stray bytes, as libjpeg does', async (t) => {
  const jpeg = await smallJpeg();
  const at = sofOffset(jpeg);
  const bomb = Buffer.concat([jpeg.subarray(0, at), Buffer.from([0x00, 0x11, 0x22]), jpeg.subarray(at)]);
  bomb.writeUInt16BE(60000, at + 3 + 5);
  bomb.writeUInt16BE(60000, at + 3 + 7);
  t.same(dimensionsFromHead(bomb, 'image/jpeg'), { width: 60000, height: 60000 });
  t.same(await sharpSize(bomb), { width: 60000, height: 60000 });
});

t.test('answers undefined for a JPEG whose frame header lies beyond the head, and reads it from the whole file', async (t) => {
  const jpeg = await smallJpeg();
  // five 64 KiB APP4 segments push SOF past 256 KiB, as some phones' JPEGs do
  const app4 = Buffer.alloc(65537);
  app4.set([0xff, 0xe4, 0xff, 0xff]);
  const big = Buffer.concat([jpeg.subarray(0, 2), app4, app4, app4, app4, app4, jpeg.subarray(2)]);
  t.equal(dimensionsFromHead(big.subarray(0, HEAD), 'image/jpeg'), undefined);
  t.same(dimensionsFromHead(big, 'image/jpeg'), { width: 8, height: 8 });
  t.same(await sharpSize(big), { width: 8, height: 8 });
});

t.test('reads a GIF bomb with a 65535x65535 logical screen', async (t) => {
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).gif().toBuffer();
  const bomb = Buffer.from(gif);
  bomb.writeUInt16LE(65535, 6);
  bomb.writeUInt16LE(65535, 8);
  t.same(dimensionsFromHead(bomb, 'image/gif'), { width: 65535, height: 65535 });
});

t.test('reads a GIF whose 1x1 screen is grown to 30000x30000 by its first frame, as sharp does', async (t) => {
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c00' } }).gif().toBuffer();
  const descriptor = gif.indexOf(0x2c, 13);
  t.ok(descriptor > 0);
  const bomb = Buffer.from(gif);
  bomb.writeUInt16LE(1, 6);
  bomb.writeUInt16LE(1, 8);
  bomb.writeUInt16LE(30000, descriptor + 5);
  bomb.writeUInt16LE(30000, descriptor + 7);
  t.same(dimensionsFromHead(bomb, 'image/gif'), { width: 30000, height: 30000 });
  t.same(await sharpSize(bomb), { width: 30000, height: 30000 });
});

t.test('reads a WebP bomb whose VP8X canvas is 16383x16383', async (t) => {
  const bomb = Buffer.from(readFileSync(path.join(FIXTURES, 'webp_animated.webp')));
  t.equal(bomb.toString('latin1', 12, 16), 'VP8X');
  bomb.writeUIntLE(16382, 24, 3);
  bomb.writeUIntLE(16382, 27, 3);
  t.same(dimensionsFromHead(bomb, 'image/webp'), { width: 16383, height: 16383 });
  t.same(await sharpSize(bomb), { width: 16383, height: 16383 });
});

t.test('reads lossy and lossless WebP headers', async (t) => {
  const base = sharp({ create: { width: 300, height: 200, channels: 3, background: '#0c0' } });
  const lossy = await base.clone().webp().toBuffer();
  const lossless = await base.clone().webp({ lossless: true }).toBuffer();
  t.equal(lossy.toString('latin1', 12, 16), 'VP8 ');
  t.equal(lossless.toString('latin1', 12, 16), 'VP8L');
  t.same(dimensionsFromHead(lossy, 'image/webp'), { width: 300, height: 200 });
  t.same(dimensionsFromHead(lossless, 'image/webp'), { width: 300, height: 200 });
});

/**
 * A little-endian TIFF whose IFD0 declares width x height and links to an IFD1 laid so that
 * a reader running past IFD0's declared entries meets a 10x10 look-alike pair.
 */
function tiffBomb(width: number, height: number): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 0], // StripOffsets: the last byte, set below
    [277, 3, 1],
    [278, 4, height],
    [279, 4, 1],
  ];
  const ifd1 = 8 + 2 + entries.length * 12 + 4;
  const b = Buffer.alloc(ifd1 + 2 + 3 * 12 + 4 + 1);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const e = 10 + i * 12;
    b.writeUInt16LE(tag, e);
    b.writeUInt16LE(type, e + 2);
    b.writeUInt32LE(1, e + 4);
    if (tag === 273) value = b.length - 1;
    if (type === 3) b.writeUInt16LE(value, e + 8);
    else b.writeUInt32LE(value, e + 8);
  });
  b.writeUInt32LE(ifd1, ifd1 - 4); // next IFD
  b.writeUInt16LE(3, ifd1);
  // 12-byte steps from IFD0's first entry land on ifd1 + 8 and ifd1 + 20
  for (const [at, tag] of [
    [ifd1 + 8, 256],
    [ifd1 + 20, 257],
  ] as const) {
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(3, at + 2);
    b.writeUInt32LE(1, at + 4);
    b.writeUInt16LE(10, at + 8);
  }
  return b;
}

t.test('reads a TIFF bomb from IFD0 only, not from look-alike entries after it', async (t) => {
  const bomb = tiffBomb(60000, 60000);
  t.same(dimensionsFromHead(bomb, 'image/tiff'), { width: 60000, height: 60000 });
  t.same(await sharpSize(bomb), { width: 60000, height: 60000 });
});

t.test('reads a big-endian TIFF with SHORT dimensions', async (t) => {
  const tiff = await sharp({ create: { width: 123, height: 45, channels: 3, background: '#00c' } })
    .tiff({ compression: 'none' })
    .toBuffer();
  t.same(dimensionsFromHead(tiff, 'image/tiff'), { width: 123, height: 45 });
  // sharp writes little-endian; swap to a hand-written big-endian header
  const be = Buffer.alloc(8 + 2 + 2 * 12 + 4);
  be.write('MM', 0, 'latin1');
  be.writeUInt16BE(42, 2);
  be.writeUInt32BE(8, 4);
  be.writeUInt16BE(2, 8);
  be.writeUInt16BE(256, 10);
  be.writeUInt16BE(3, 12);
  be.writeUInt32BE(1, 14);
  be.writeUInt16BE(640, 18);
  be.writeUInt16BE(257, 22);
  be.writeUInt16BE(3, 24);
  be.writeUInt32BE(1, 26);
  be.writeUInt16BE(512, 30);
  t.same(dimensionsFromHead(be, 'image/tiff'), { width: 640, height: 512 });
});

/** Every ISO BMFF box of `type` in `b` (found by its 4CC, which is enough for these files). */
function boxOffsets(b: Buffer, type: string): number[] {
  const found: number[] = [];
  for (let i = b.indexOf(type, 4, 'latin1'); i >= 0; i = b.indexOf(type, i + 1, 'latin1')) found.push(i - 4);
  return found;
}

t.test('reads a HEIC bomb from the primary item ispe, agreeing with heif-info', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamha.dims.'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const png = path.join(dir, 'small.png');
  const file = path.join(dir, 'bomb.heic');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00' } }).png().toFile(png);
  await run('heif-enc', ['-q', '50', png, '-o', file]);
  const bomb = await readFile(file);
  const ispes = boxOffsets(bomb, 'ispe');
  t.ok(ispes.length >= 1);
  for (const at of ispes) {
    // libheif refuses sides over 32768, not 900 Mpx
    bomb.writeUInt32BE(30000, at + 12);
    bomb.writeUInt32BE(30000, at + 16);
  }
  await writeFile(file, bomb);
  t.same(dimensionsFromHead(bomb, 'image/heic'), { width: 30000, height: 30000 });
  t.same(await heifInfoPrimary(file), { width: 30000, height: 30000 }, 'heif-info takes it as 30000x30000');
});

t.test('takes the largest item of a multi-image HEIF, whichever is primary', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamha.dims.'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = path.join(dir, 'first.png');
  const second = path.join(dir, 'second.png');
  await sharp({ create: { width: 96, height: 64, channels: 3, background: '#c00' } }).png().toFile(first);
  await sharp({ create: { width: 32, height: 48, channels: 3, background: '#00c' } }).png().toFile(second);
  const file = path.join(dir, 'two.heic');
  await run('heif-enc', ['-q', '50', first, second, '-o', file]);
  const heic = await readFile(file);
  t.same(dimensionsFromHead(heic, 'image/heic'), { width: 96, height: 64 }, 'the larger one, which is primary');

  // make the second image primary: pitm (version 0) holds a 16-bit item id
  const { stdout } = await run('heif-info', [file]);
  const ids = [...stdout.matchAll(/^image: \d+x\d+ \(id=(\d+)\)/gm)].map((m) => Number(m[1]));
  t.equal(ids.length, 2);
  const [pitm] = boxOffsets(heic, 'pitm');
  t.equal(heic[pitm! + 8], 0, 'pitm version 0');
  heic.writeUInt16BE(ids[1]!, pitm! + 12);
  await writeFile(file, heic);
  t.same(await heifInfoPrimary(file), { width: 32, height: 48 });
  t.same(dimensionsFromHead(heic, 'image/heic'), { width: 96, height: 64 }, 'the larger one, which is not primary');
});

t.test('reads the huge second image of the hostile HEIF fixture, as heif-info lists it', async (t) => {
  const file = fixture('heif_small-primary_huge-secondary.heic');
  const { stdout } = await run('heif-info', [file]);
  t.match(stdout, /^image: 64x48 \(id=\d+\), primary$/m, 'a small primary');
  t.match(stdout, /^image: 20000x20000 \(id=\d+\)$/m, 'and a huge second image');
  t.same(dimensionsFromHead(readFileSync(file), 'image/heic'), { width: 20000, height: 20000 });
});

t.test('answers undefined for a HEIF whose property list goes on past the head', async (t) => {
  const whole = readFileSync(fixture('heif_small-primary_huge-secondary.heic'));
  const [ipco] = boxOffsets(whole, 'ipco');
  const [last] = boxOffsets(whole, 'ispe').slice(-1);
  t.ok(ipco! < last!, 'the huge ispe is inside ipco');
  // cut between the ispe boxes: the small ones are seen, the huge one is not
  t.equal(dimensionsFromHead(whole.subarray(0, last!), 'image/heic'), undefined);
});

t.test('reads every page of a multi-page TIFF, as sharp reads each', async (t) => {
  const file = fixture('tiff_small-page1_huge-page2.tif');
  const whole = readFileSync(file);
  const meta = await sharp(file).metadata();
  t.equal(meta.pages, 2);
  t.same(await sharpSize(file), { width: 8, height: 8 }, 'page 1 is small');
  const second = await sharp(file, { page: 1, limitInputPixels: false }).metadata();
  t.same({ width: second.width, height: second.height }, { width: 20000, height: 20000 }, 'page 2 is huge');
  t.same(dimensionsFromHead(whole, 'image/tiff'), { width: 20000, height: 20000 });
});

t.test('stops at an IFD chain that loops, and at a page beyond the head', async (t) => {
  const whole = Buffer.from(readFileSync(fixture('tiff_small-page1_huge-page2.tif')));
  const ifd0 = whole.readUInt32LE(4);
  const ifd1 = whole.readUInt32LE(ifd0 + 2 + whole.readUInt16LE(ifd0) * 12);
  // page 2 cut off by the head: page 1 is what is known
  t.same(dimensionsFromHead(whole.subarray(0, ifd1 + 10), 'image/tiff'), { width: 8, height: 8 });
  // page 2 points back at page 1
  whole.writeUInt32LE(ifd0, ifd1 + 2 + whole.readUInt16LE(ifd1) * 12);
  t.same(dimensionsFromHead(whole, 'image/tiff'), { width: 20000, height: 20000 });
});

t.test('answers undefined, never throws, on truncated and damaged headers', async (t) => {
  const samples: Array<[string, Buffer]> = [];
  for (const file of imageFixtures()) {
    samples.push([MIME_BY_EXT[path.extname(file).toLowerCase()]!, readFileSync(file).subarray(0, 4096)]);
  }
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let answered = 0;
  let unanswered = 0;
  for (const [mime, head] of samples) {
    for (let i = 0; i < 300; i++) {
      const cut = Buffer.from(head.subarray(0, random(head.length + 1)));
      for (let flips = random(4); flips > 0 && cut.length > 0; flips--) cut[random(cut.length)] = random(256);
      const size = dimensionsFromHead(cut, mime);
      if (size === undefined) unanswered++;
      else {
        answered++;
        if (!(Number.isInteger(size.width) && size.width > 0 && Number.isInteger(size.height) && size.height > 0)) {
          t.fail(`${mime}: ${JSON.stringify(size)}`);
        }
      }
    }
  }
  t.ok(answered > 0 && unanswered > 0, `${answered} answered, ${unanswered} unanswered`);
  t.equal(dimensionsFromHead(Buffer.alloc(0), 'image/jpeg'), undefined);
  t.equal(dimensionsFromHead(Buffer.from('GIF89a'), 'image/gif'), undefined);
});

t.test('answers undefined for types that are not images read here', async (t) => {
  const pdf = readFileSync(path.join(FIXTURES, 'pdf_distiller_linearized_xmp.pdf'));
  const mp4 = readFileSync(path.join(FIXTURES, 'mp4_h264_aac_imovie.mp4'));
  t.equal(dimensionsFromHead(pdf, 'application/pdf'), undefined);
  t.equal(dimensionsFromHead(mp4, 'video/mp4'), undefined);
  t.equal(dimensionsFromHead(readFileSync(path.join(FIXTURES, 'png_rgba_alpha.png')), 'image/svg+xml'), undefined);
});
