import { readFileSync } from 'node:fs';
import t from 'tap';
import { HEAD_BYTES, mimeFromHead } from '../../src/media/types.js';

const head = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url)).subarray(0, HEAD_BYTES);

/** A classic TIFF header (byte order, 42, IFD0 offset) followed by `rest`. */
function tiff(le: boolean, ifdOffset: number, rest = Buffer.alloc(64)): Buffer {
  const h = Buffer.alloc(8);
  h.write(le ? 'II' : 'MM', 0, 'latin1');
  if (le) { h.writeUInt16LE(42, 2); h.writeUInt32LE(ifdOffset, 4); } else { h.writeUInt16BE(42, 2); h.writeUInt32BE(ifdOffset, 4); }
  return Buffer.concat([h, rest]);
}

/** A BigTIFF header: byte order, 43, offset size 8, 0, then a 64-bit IFD0 offset. */
function bigTiff(le: boolean, ifdOffset: bigint): Buffer {
  const h = Buffer.alloc(16 + 64);
  h.write(le ? 'II' : 'MM', 0, 'latin1');
  if (le) { h.writeUInt16LE(43, 2); h.writeUInt16LE(8, 4); h.writeBigUInt64LE(ifdOffset, 8); } else { h.writeUInt16BE(43, 2); h.writeUInt16BE(8, 4); h.writeBigUInt64BE(ifdOffset, 8); }
  return h;
}

t.test('a thermal camera TIFF whose IFD0 lies after its pixels, beyond the head, is a TIFF', async (t) => {
  const whole = readFileSync(new URL('../fixtures/tiff_dji-xt2_thermal-16bit_gps.tiff', import.meta.url));
  t.ok(whole.readUInt32LE(4) > HEAD_BYTES, 'IFD0 is beyond the bytes an upload is typed by');
  t.equal(await mimeFromHead(head('tiff_dji-xt2_thermal-16bit_gps.tiff')), 'image/tiff');
});

t.test('TIFF headers of both byte orders, classic and BigTIFF, are TIFFs even when IFD0 is out of reach', async (t) => {
  t.equal(await mimeFromHead(tiff(true, 1 << 30)), 'image/tiff', 'II, 42');
  t.equal(await mimeFromHead(tiff(false, 1 << 30)), 'image/tiff', 'MM, 42');
  t.equal(await mimeFromHead(bigTiff(true, 1n << 40n)), 'image/tiff', 'II, 43');
  t.equal(await mimeFromHead(bigTiff(false, 1n << 40n)), 'image/tiff', 'MM, 43');
});

t.test('what only looks a little like a TIFF header is not one', async (t) => {
  const wrongVersion = tiff(true, 1 << 30);
  wrongVersion.writeUInt16LE(41, 2);
  t.equal(await mimeFromHead(wrongVersion), undefined, 'version 41');
  const swapped = tiff(true, 1 << 30);
  swapped.writeUInt16BE(42, 2); // "II" with a big-endian 42
  t.equal(await mimeFromHead(swapped), undefined, 'version in the other byte order');
  const mixed = tiff(true, 1 << 30);
  mixed.write('IM', 0, 'latin1');
  t.equal(await mimeFromHead(mixed), undefined, 'no byte order');
});

t.test('the other types are still file-type\'s answers', async (t) => {
  t.equal(await mimeFromHead(head('tiff_canon-5d3_iptc_xmp_prophoto-icc.tif')), 'image/tiff');
  t.equal(await mimeFromHead(head('png_rgba_alpha.png')), 'image/png');
  t.equal(await mimeFromHead(head('heic_iphone7plus_gps_rot90.heic')), 'image/heic');
  t.equal(await mimeFromHead(head('mp4_h264_aac_imovie.mp4')), 'video/mp4');
  t.equal(await mimeFromHead(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
});
