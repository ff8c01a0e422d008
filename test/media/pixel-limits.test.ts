/**
 * The worker's pixel checks before any decoder runs: every HEIF image (from the header and from
 * heif-info's list) and every TIFF page, on the hostile fixtures and variants made here.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { decodableImage, parseHeifInfo } from '../../src/media/decode.js';

const run = promisify(execFile);

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', 'fixtures');
const HOSTILE_HEIF = path.join(FIXTURES, 'heif_small-primary_huge-secondary.heic');
const HOSTILE_TIFF = path.join(FIXTURES, 'tiff_small-page1_huge-page2.tif');
const IPHONE = path.join(FIXTURES, 'heic_iphone-xs-max_gps.heic');
const LIMIT = 200_000_000;

async function workDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamha.pixels.'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in for a tool that records that it ran, then does what `body` says. */
async function tripwire(dir: string, name: string, body = 'exit 0'): Promise<{ path: string; ran: () => Promise<boolean> }> {
  const marker = path.join(dir, `${name}.ran`);
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\ntouch '${marker}'\n${body}\n`, { mode: 0o755 });
  return { path: file, ran: () => access(marker).then(() => true, () => false) };
}

t.test('refuses a HEIF with a small primary and a huge second image before heif-info or heif-convert runs', async (t) => {
  const dir = await workDir(t);
  const bin = await workDir(t);
  const info = await tripwire(bin, 'heif-info');
  const convert = await tripwire(bin, 'heif-convert');
  const err = await decodableImage(HOSTILE_HEIF, 'image/heic', dir, { timeoutMs: 60_000, maxPixels: LIMIT, heifInfoPath: info.path, heifConvertPath: convert.path })
    .catch((e: unknown) => e);
  t.match(err, { code: 'LAMHA_PIXEL_LIMIT', statusCode: 422 });
  t.match((err as Error).message, /20000×20000/);
  t.notOk(await info.ran(), 'heif-info did not run');
  t.notOk(await convert.ran(), 'heif-convert did not run');
});

t.test('refuses an image heif-info lists over the limit, even when the header read showed none', async (t) => {
  const dir = await workDir(t);
  const bin = await workDir(t);
  // the real file is a plain iPhone HEIC; its heif-info here lists a huge second image
  const listing = 'image: 4032x3024 (id=49), primary\n  thumbnail: 320x240\n  alpha channel: no \nimage: 20000x20000 (id=50)\n  alpha channel: no \n';
  const info = await tripwire(bin, 'heif-info', `printf '${listing}'`);
  const convert = await tripwire(bin, 'heif-convert');
  const err = await decodableImage(IPHONE, 'image/heic', dir, { timeoutMs: 60_000, maxPixels: LIMIT, heifInfoPath: info.path, heifConvertPath: convert.path })
    .catch((e: unknown) => e);
  t.ok(await info.ran(), 'control: heif-info ran');
  t.match(err, { code: 'LAMHA_PIXEL_LIMIT' });
  t.match((err as Error).message, /20000×20000/);
  t.notOk(await convert.ran(), 'heif-convert did not run');
});

t.test('refuses a HEIF whose top-level images together exceed the limit, each of them below it', async (t) => {
  const dir = await workDir(t);
  const bin = await workDir(t);
  const listing = 'image: 4032x3024 (id=49), primary\n  thumbnail: 320x240\nimage: 4032x3024 (id=50)\n';
  const info = await tripwire(bin, 'heif-info', `printf '${listing}'`);
  const convert = await tripwire(bin, 'heif-convert');
  const err = await decodableImage(IPHONE, 'image/heic', dir, { timeoutMs: 60_000, maxPixels: 20_000_000, heifInfoPath: info.path, heifConvertPath: convert.path })
    .catch((e: unknown) => e);
  t.match(err, { code: 'LAMHA_UNDECODABLE' });
  t.match((err as Error).message, /2 images of 24385536 pixels together/);
  t.notOk(await convert.ran(), 'heif-convert did not run');
});

t.test('a HEIF within the limit still decodes (the checks pass what they should)', async (t) => {
  const dir = await workDir(t);
  const out = await decodableImage(IPHONE, 'image/heic', dir, { timeoutMs: 120_000, maxPixels: 4032 * 3024 });
  t.equal(out.converted, true);
});

t.test('refuses a multi-page TIFF with a huge second page', async (t) => {
  const dir = await workDir(t);
  const err = await decodableImage(HOSTILE_TIFF, 'image/tiff', dir, { timeoutMs: 60_000, maxPixels: LIMIT }).catch((e: unknown) => e);
  t.match(err, { code: 'LAMHA_PIXEL_LIMIT' });
  t.match((err as Error).message, /20000×20000/);
});

t.test('refuses a huge TIFF page whose directory lies past the first 256 KiB, where the upload could not see it', async (t) => {
  const dir = await workDir(t);
  const tiff = await readFile(HOSTILE_TIFF);
  const ifd0 = tiff.readUInt32LE(4);
  const nextAt = ifd0 + 2 + tiff.readUInt16LE(ifd0) * 12;
  const ifd1 = tiff.readUInt32LE(nextAt);
  const ifd1Bytes = tiff.subarray(ifd1, ifd1 + 2 + tiff.readUInt16LE(ifd1) * 12 + 4);
  // page 2's directory moved to the end, after 300 KiB of padding; its strip stays where it was
  const moved = Buffer.concat([tiff, Buffer.alloc(300 * 1024), ifd1Bytes]);
  moved.writeUInt32LE(tiff.length + 300 * 1024, nextAt);
  const file = path.join(dir, 'moved.tif');
  await writeFile(file, moved);
  const err = await decodableImage(file, 'image/tiff', dir, { timeoutMs: 60_000, maxPixels: LIMIT }).catch((e: unknown) => e);
  t.match(err, { code: 'LAMHA_PIXEL_LIMIT' });
  t.match((err as Error).message, /20000×20000/);
});

t.test('passes a single-page TIFF within the limit untouched', async (t) => {
  const dir = await workDir(t);
  const file = path.join(FIXTURES, 'tiff_canon-5d3_iptc_xmp_prophoto-icc.tif');
  t.same(await decodableImage(file, 'image/tiff', dir, { timeoutMs: 60_000, maxPixels: LIMIT }), { path: file, converted: false });
});

t.test("reads each image's thumbnails from heif-info's list", async (t) => {
  const { stdout } = await run('heif-info', [IPHONE]);
  t.same(parseHeifInfo(stdout), [{ width: 4032, height: 3024, primary: true, alpha: false, thumbnails: [{ width: 320, height: 240 }] }]);
});
