/**
 * JPEG images inside a PDF (DCTDecode streams) are often the camera's or the scanning phone's
 * file byte for byte, EXIF with GPS, serial numbers and owner names included, and IPTC and XMP
 * beside it: PDF makers copy JPEGs in as they are. Each is copied here without its metadata
 * segments, losslessly (the scans are the original's), for qpdf to write in its place.
 */
import { open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { UndecodableError } from '../errors.js';
import { copyJpegWithoutMetadata } from './decode.js';
import type { RunResult } from './run.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Objects = Record<string, { value?: Json; stream?: { dict: Json; datafile?: string } }>;

/** Objects named on one qpdf command line. */
const OBJECTS_PER_RUN = 200;
/** Bytes read at a time while looking for the end of a JPEG's scans. */
const SCAN_BLOCK = 1 << 20;

/** `obj:N G R` ids of the streams that are a JPEG as stored (the only filter is DCTDecode). */
export function jpegStreams(objects: Objects): string[] {
  return Object.entries(objects)
    .filter(([, o]) => {
      const filter = (o.stream?.dict as Record<string, Json> | undefined)?.['/Filter'];
      return filter === '/DCTDecode' || (Array.isArray(filter) && filter.length === 1 && filter[0] === '/DCTDecode');
    })
    .map(([id]) => id);
}

/**
 * Cuts the file after the end (EOI) of its primary image. Phones append data there — a second
 * picture (MPF), a motion-photo video, their own JSON — and PDF makers copy it along; viewers
 * never read it. The first EOI after the first scan starts is the image's end: inside scans a
 * 0xFF byte is always followed by 0x00 or a restart marker.
 */
async function cutAfterPrimaryImage(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const at = async (pos: number, length: number): Promise<Buffer> => {
      const b = Buffer.alloc(Math.max(0, Math.min(length, size - pos)));
      await handle.read(b, 0, b.length, pos);
      return b;
    };
    const noEnd = () => new UndecodableError('PDF holds a JPEG image without an end');
    let pos = 2;
    for (;;) { // the segments before the first scan
      const head = await at(pos, 4);
      if (head.length < 4 || head[0] !== 0xff) throw noEnd();
      if (head[1] === 0xff) pos += 1;
      else if (head[1] === 0xda) break;
      else pos += 2 + head.readUInt16BE(2);
    }
    for (let previous = 0; pos < size; pos += SCAN_BLOCK) {
      const block = await at(pos, SCAN_BLOCK);
      for (let i = 0; i < block.length; i++) {
        const byte = block[i]!;
        if (previous === 0xff && byte === 0xd9) {
          const end = pos + i + 1;
          if (end < size) await truncate(file, end);
          return;
        }
        previous = byte;
      }
    }
    throw noEnd();
  } finally {
    await handle.close();
  }
}

/**
 * Writes each of `ids` (JPEG streams of `source`) to `dir` without metadata; answers the file of
 * each. `run` runs qpdf with the caller's budget and error translation.
 */
export async function cleanJpegStreams(ids: string[], source: string, dir: string, run: (args: string[]) => Promise<RunResult>): Promise<Map<string, string>> {
  const cleaned = new Map<string, string>();
  for (let at = 0; at < ids.length; at += OBJECTS_PER_RUN) {
    const batch = ids.slice(at, at + OBJECTS_PER_RUN);
    const listing = path.join(dir, `jpeg-${at}.json`);
    const selectors = batch.map((id) => `--json-object=${/^obj:(\d+) (\d+) R$/.exec(id)!.slice(1, 3).join(',')}`);
    // --json-output: stream data as stored (still DCT-encoded), decrypted, one file an object
    await run(['--warning-exit-0', '--json-output=2', '--json-stream-data=file', `--json-stream-prefix=${path.join(dir, `jpeg-${at}`)}`, ...selectors, source, listing]);
    const objects = (JSON.parse(await readFile(listing, 'utf8')) as { qpdf: [unknown, Objects] }).qpdf[1];
    for (const id of batch) {
      const raw = objects[id]?.stream?.datafile;
      if (!raw) throw new UndecodableError(`PDF image ${id} could not be read`);
      const clean = `${raw}.clean`;
      await cutAfterPrimaryImage(raw);
      await copyJpegWithoutMetadata(raw, clean).catch((err: unknown) => {
        throw new UndecodableError('PDF holds a JPEG image that cannot be read', { cause: err });
      });
      cleaned.set(id, clean);
    }
  }
  return cleaned;
}
