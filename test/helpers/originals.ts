/**
 * Looking at stored originals and press files as an outsider would: exiftool and ffmpeg run
 * here, not the code under test.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import { originalKey } from '../../src/storage/keys.js';
import type { TestContext } from './context.js';
import { multipart } from './multipart.js';

export const run = promisify(execFile);
export const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname;
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** An exiftool of the test's own and a scratch directory, both ended at teardown. */
export async function inspector(t: { teardown(fn: () => unknown): void }): Promise<{ exiftool: ExifTool; work: string; file(name: string, data: Buffer): Promise<string> }> {
  const exiftool = new ExifTool({ maxProcs: 2 });
  const work = await mkdtemp(path.join(os.tmpdir(), 'lamha-inspect-'));
  t.teardown(async () => {
    await exiftool.end();
    await rm(work, { recursive: true, force: true });
  });
  let n = 0;
  return {
    exiftool,
    work,
    async file(name, data) {
      const file = path.join(work, `${n++}-${name}`);
      await writeFile(file, data);
      return file;
    },
  };
}

/** Uploads one file to conf/day-1 as the context's admin. */
export async function uploadOne(ctx: TestContext, name: string, body?: Buffer): Promise<{ id: string; duplicate: boolean }> {
  const form = multipart([{ name: 'file', filename: name, body: body ?? (await readFile(fixture(name))) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return res.json().assets[0];
}

export async function objectBytes(ctx: TestContext, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function storedOriginal(ctx: TestContext, id: string): Promise<Buffer> {
  return objectBytes(ctx, originalKey(id));
}

/** Tags naming a place, a serial number or an owner, as `Group0:Group1:Tag` (embedded streams too). */
export async function privateTags(exiftool: ExifTool, file: string): Promise<string[]> {
  const tags = await exiftool.readRaw(file, { readArgs: ['-a', '-G0:1', '-ee', '-api', 'LargeFileSupport=1'] }) as Record<string, unknown>;
  return Object.keys(tags).filter((k) => {
    // one group where family 0 and 1 are the same: `IPTC:City`
    const parts = k.split(':');
    const [g0, name] = [parts[0]!, parts[parts.length - 1]!];
    const g1 = parts.length > 2 ? parts[1]! : g0;
    if (parts.length < 2 || /^(File|System|ExifTool)$/.test(g0)) return false;
    return g0 === 'MakerNotes' || g1 === 'XMP-drone-dji' || (g1 === 'IFD0' && /^(Artist|Copyright)$/.test(name))
      || /gps|serial|owner|location|latitude|longitude|^(city|state|country|countrycode|province-state)$/i.test(name);
  });
}

/** One tag's value (`-n`), by its name with or without group. */
export async function tagOf(exiftool: ExifTool, file: string, name: string): Promise<unknown> {
  const tags = await exiftool.readRaw(file, { readArgs: ['-a', '-G1', '-n', `-${name}`] }) as Record<string, unknown>;
  return Object.entries(tags).find(([k]) => k.endsWith(`:${name.split(':').pop()}`))?.[1];
}

/** A JPEG's image data: every marker segment but APPn and COM, then the entropy-coded data to the end. */
export function jpegImageData(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 2;
  for (;;) {
    if (b[i] !== 0xff) throw new Error(`no marker at ${i}`);
    const marker = b[i + 1]!;
    if (marker === 0xda) return Buffer.concat([...parts, b.subarray(i)]);
    const end = i + 2 + b.readUInt16BE(i + 2);
    if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe)) parts.push(b.subarray(i, end));
    i = end;
  }
}

/** The hash of an image's decoded pixels; HEIF and AVIF through libheif's own converter. */
export async function pixelHash(file: string, work: string, heif = false): Promise<string> {
  let input = file;
  if (heif) {
    input = path.join(work, `${path.basename(file)}-${Date.now()}-${Math.random().toString(36).slice(2)}.png`);
    await run('heif-convert', [file, input]);
  }
  return sha256(await sharp(input).raw().toBuffer());
}

/** ffmpeg's hash of a stream: decoded frames (`decode`) or the packets as stored. */
export async function streamHash(file: string, kind: 'v' | 'a', decode: boolean): Promise<string> {
  const args = ['-v', 'error', '-i', file, '-map', `0:${kind === 'v' ? 'V:0' : 'a?'}`, ...(decode ? [] : ['-c', 'copy']), '-f', 'streamhash', '-hash', 'sha256', '-'];
  return (await run('ffmpeg', args)).stdout;
}
