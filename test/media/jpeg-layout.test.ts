/**
 * The JPEG layout that lets an upload's head be cleaned while it streams: where the first scan
 * starts, and whether the bytes after it are scans and tables only, up to EOI and no further,
 * whatever the chunks they arrive in.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import t from 'tap';
import { cutAfterImage, firstScan, JpegHeadSwap, ScanCheck } from '../../src/media/jpeg-layout.js';
import { fixture } from '../helpers/originals.js';

/** The verdict of a ScanCheck fed `bytes` in chunks of `size` (1: byte by byte). */
function verdict(bytes: Buffer, size: number): string | undefined {
  const check = new ScanCheck();
  for (let i = 0; i < bytes.length; i += size) check.push(bytes.subarray(i, i + size));
  return check.finish();
}

const progressive = await readFile(fixture('jpeg_canon-30d_progressive_empty-gps.jpg'));
const baseline = await readFile(fixture('jpeg_canon-600d_gps_iptc_xmp.jpg'));

t.test('finds the first scan of baseline and progressive JPEGs, and nothing in what is not one', async (t) => {
  t.same(firstScan(baseline), { sos: 48570, end: 48584 });
  t.same(firstScan(progressive), { sos: 9992, end: 10006 });
  t.equal(firstScan(baseline.subarray(0, 48583)), undefined, 'a head that stops inside the SOS segment');
  t.equal(firstScan(Buffer.from('GIF89a....')), undefined);
  const damaged = Buffer.from(baseline);
  damaged.writeUInt16BE(1, 4); // the first segment's length
  t.equal(firstScan(damaged), undefined, 'a segment of length 1');
});

t.test('the scans of a progressive JPEG, in chunks of any size, are scans only', async (t) => {
  const scans = progressive.subarray(firstScan(progressive)!.sos);
  for (const size of [1, 2, 3, 7, 4096, scans.length]) t.equal(verdict(scans, size), undefined, `chunks of ${size}`);
  t.equal(verdict(baseline.subarray(firstScan(baseline)!.sos), 65536), undefined, 'and a baseline one');
});

t.test('metadata between scans, bytes after the end and a file cut short are told', async (t) => {
  const scans = progressive.subarray(firstScan(progressive)!.sos);
  // an APP1 segment put before the second scan's tables
  const second = scans.indexOf(Buffer.from([0xff, 0xc4]), 20);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, 0x08]), Buffer.from('GPS!!!')]);
  const withApp = Buffer.concat([scans.subarray(0, second), app1, scans.subarray(second)]);
  for (const size of [1, 5, 65536]) t.match(verdict(withApp, size), /0xFFE1.*does not belong between scans/, `an APP1 between scans, chunks of ${size}`);
  const comment = Buffer.concat([scans.subarray(0, second), Buffer.from([0xff, 0xfe, 0x00, 0x04, 0x41, 0x42]), scans.subarray(second)]);
  t.match(verdict(comment, 3), /0xFFFE/, 'a comment between scans');
  t.match(verdict(Buffer.concat([scans, Buffer.from([0x00])]), 1), /after the end/, 'one byte after EOI');
  t.match(verdict(Buffer.concat([scans, baseline]), 4096), /after the end/, 'a second picture after EOI');
  t.match(verdict(scans.subarray(0, scans.length - 2), 4096), /no end of image/, 'a file cut before EOI');
});

t.test('a head swap sends the new head and the rest unchanged, and says whether the rest was scans only', async (t) => {
  const { sos } = firstScan(baseline)!;
  const prefix = Buffer.from([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x04, 0x68, 0x69]);
  const chunks = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 1000) }, (_, i) => b.subarray(i * 1000, (i + 1) * 1000)));
  const swap = new JpegHeadSwap(prefix, sos);
  const out = await buffer(chunks(baseline).pipe(swap));
  t.ok(out.equals(Buffer.concat([prefix, baseline.subarray(sos)])));
  t.equal(swap.fault, undefined);
  const trailing = new JpegHeadSwap(prefix, sos);
  await buffer(chunks(Buffer.concat([baseline, Buffer.from('trailer')])).pipe(trailing));
  t.match(trailing.fault, /after the end/);
  const short = new JpegHeadSwap(prefix, sos);
  await buffer(chunks(baseline.subarray(0, sos - 10)).pipe(short));
  t.match(short.fault, /before its first scan/);
});

t.test('what follows the image is cut from a file, and nothing from a file that ends with its image', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-cut-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.jpg');
  await writeFile(file, Buffer.concat([progressive, baseline, Buffer.from('SEFT')]));
  t.equal(await cutAfterImage(file), baseline.length + 4);
  t.ok((await readFile(file)).equals(progressive), 'the progressive JPEG, to its EOI');
  t.equal(await cutAfterImage(file), 0, 'then nothing more');
  t.ok((await readFile(file)).equals(progressive));
  await writeFile(file, Buffer.from('not a jpeg at all'));
  t.equal(await cutAfterImage(file), 0, 'not a JPEG: left alone');
});
