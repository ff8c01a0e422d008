/** Hostile image files, built byte by byte (or with the encoders the project already runs) for the bad-input suite. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose header claims width × height (8-bit grey) and whose data is one short compressed row: a pixel bomb's head. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(width + 1))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small real PNG with `extra` chunks inserted right after its IHDR. */
export async function pngWith(...extra: Buffer[]): Promise<Buffer> {
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
  const afterIhdr = 8 + 8 + 13 + 4;
  return Buffer.concat([png.subarray(0, afterIhdr), ...extra, png.subarray(afterIhdr)]);
}

/** A zTXt chunk whose text inflates to `inflated` bytes (a decompression bomb in metadata). */
export function zTxtBomb(inflated: number): Buffer {
  return pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.alloc(inflated, 0x41), { level: 9 })]));
}

/** An iCCP chunk whose "profile" inflates to `inflated` bytes of zeros. */
export function iccpBomb(inflated: number): Buffer {
  return pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(Buffer.alloc(inflated), { level: 9 })]));
}

/** A PNG carrying an eXIf chunk of `bytes` bytes: a valid little-endian TIFF header, one UserComment of the rest. */
export async function pngWithHugeExif(bytes: number, marker: string): Promise<Buffer> {
  const comment = Buffer.alloc(bytes - 26 - 8, 0x20);
  Buffer.from(`ASCII\0\0\0${marker}`, 'latin1').copy(comment);
  const tiff = Buffer.alloc(26);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4); // IFD0 at 8
  tiff.writeUInt16LE(1, 8); // one entry
  tiff.writeUInt16LE(0x9286, 10); // UserComment
  tiff.writeUInt16LE(7, 12); // UNDEFINED
  tiff.writeUInt32LE(comment.length + 8, 14);
  tiff.writeUInt32LE(26, 18); // value right after the IFD
  tiff.writeUInt32LE(0, 22); // no next IFD
  return pngWith(pngChunk('eXIf', Buffer.concat([tiff, Buffer.alloc(8, 0x20), comment])));
}

/** A JPEG that is also an HTML page: the markup sits in a COM segment right after SOI, where a sniffer sees it. */
export async function jpegHtmlPolyglot(html: string): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 10, g: 120, b: 200 } } }).jpeg().toBuffer();
  const text = Buffer.from(html, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(text.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe]), len, text, jpeg.subarray(2)]);
}

/**
 * A HEIF whose primary image is small and whose second top-level image is `w` × `h`: made with
 * heif-enc (libheif's encoder, installed with libheif), which stores its first input as primary.
 */
export async function heifWithSecondary(w: number, h: number): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-heif-'));
  try {
    const small = path.join(dir, 'small.png');
    const big = path.join(dir, 'big.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toFile(small);
    await sharp({ create: { width: w, height: h, channels: 3, background: '#204060' } }).png().toFile(big);
    const out = path.join(dir, 'out.heic');
    await promisify(execFile)('heif-enc', ['-q', '30', '-o', out, small, big]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
