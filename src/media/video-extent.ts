/**
 * A video's duration and frame size at upload, from bytes the upload already has: its head
 * and, when the head does not say (an MP4 with its moov after the media data, an MPEG-TS whose
 * duration is the span of its timestamps, an AVI whose index is at the end), one range of the
 * stored object. Those bytes are laid at their offsets in a sparse temp file of the object's
 * size, and our guarded ffprobe (file protocol only, demuxer allow-list, timeout) reads that:
 * the demuxers seek exactly as in the whole file, and what they would find between the pieces
 * reads as zeros. Nothing decodes; a failure answers "unknown" and the worker decides, except
 * when the head is the whole file and the container's own demuxer cannot read it: that file is
 * damaged whatever reads it (LAMHA_UNDECODABLE).
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UndecodableError } from '../errors.js';
import { probeVideoExtent, withTempDir, type RunControl, type ToolPaths } from './ffmpeg.js';

export interface VideoExtent {
  container: string;
  /** null when neither the header nor the bytes seen say */
  durationMs: number | null;
  /** as stored (a turned phone video has the same pixel count either way) */
  width: number;
  height: number;
  /**
   * The duration is the file's own: declared in a header (QuickTime/MP4 mvhd, Matroska Info)
   * that was read whole, or measured on the whole file's layout (head and tail in place).
   */
  settled: boolean;
}

/** The end of an MPEG-TS or AVI file holds its last timestamps or its index. */
export const TAIL_BYTES = 1024 * 1024;
/** A moov that large (hours of video with many tracks) is left to the worker. */
export const MAX_MOOV_BYTES = 64 * 1024 * 1024;

/** Containers whose duration is written in a header that the head, once read whole, holds. */
const DECLARED_DURATION = /^(mov|matroska)\b/;

/**
 * What the head alone says, when the head is all that exists yet (the upload is still
 * streaming). `whole`: the head is the entire file. undefined when ffprobe cannot read it;
 * a whole file that the demuxer of its container fails on rejects with LAMHA_UNDECODABLE.
 */
export async function extentFromHead(head: Buffer, whole: boolean, ctl: RunControl & ToolPaths): Promise<VideoExtent | undefined> {
  return probeSparse([{ offset: 0, data: head }], head.length, whole, ctl);
}

/**
 * Where the bytes that the head lacks lie in a stored file of `size` bytes: for an MP4/MOV the
 * rest of a moov cut by the head's end, or whatever follows the media data (a moov written
 * last); for other containers the last TAIL_BYTES. undefined when nothing is missing or the
 * missing piece is too large to fetch.
 */
export function missingRange(head: Buffer, size: number, container: string): { start: number; end: number } | undefined {
  if (head.length >= size) return undefined;
  if (!/^mov\b/.test(container) && !isIsoBmff(head)) return { start: Math.max(head.length, size - TAIL_BYTES), end: size };
  let p = 0;
  while (p < size) {
    if (p + 16 > head.length) {
      // the next box header lies beyond the head: everything from it to the end (usually moov)
      return size - p <= MAX_MOOV_BYTES ? { start: Math.max(p, head.length), end: size } : undefined;
    }
    let boxSize = head.readUInt32BE(p);
    const type = head.toString('latin1', p + 4, p + 8);
    if (boxSize === 1) boxSize = Number(head.readBigUInt64BE(p + 8));
    else if (boxSize === 0) boxSize = size - p; // to the end of the file
    if (boxSize < 8) return undefined; // not a box: malformed, the worker will say
    const end = Math.min(size, p + boxSize);
    if (type === 'moov') {
      return end <= head.length ? undefined : end - p <= MAX_MOOV_BYTES ? { start: head.length, end } : undefined;
    }
    p = end;
  }
  return undefined;
}

/** What the head and the missing range, read into place, say of a stored file of `size` bytes. */
export async function extentWithRange(
  head: Buffer,
  size: number,
  range: { start: number; data: Readable },
  ctl: RunControl & ToolPaths,
): Promise<VideoExtent | undefined> {
  return probeSparse([{ offset: 0, data: head }, { offset: range.start, data: range.data }], size, true, ctl);
}

function isIsoBmff(head: Buffer): boolean {
  return head.length >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(head.toString('latin1', 4, 8));
}

async function probeSparse(
  pieces: { offset: number; data: Buffer | Readable }[],
  size: number,
  whole: boolean,
  ctl: RunControl & ToolPaths,
): Promise<VideoExtent | undefined> {
  return withTempDir('lamha-extent-', async (dir) => {
    const file = path.join(dir, 'video');
    const handle = await open(file, 'w', 0o600);
    try {
      for (const { offset, data } of pieces) {
        if (Buffer.isBuffer(data)) await handle.write(data, 0, data.length, offset);
      }
      // the file's real length, holes included, so seeks to its end land where they would
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
    for (const { offset, data } of pieces) {
      if (!Buffer.isBuffer(data)) await pipeline(data, createWriteStream(file, { flags: 'r+', start: offset }));
    }
    let result;
    try {
      result = await probeVideoExtent(file, ctl);
    } catch (err) {
      // Only a file without holes is judged: zeros where bytes are yet to come may well be what fails.
      if (whole && pieces.length === 1 && err instanceof UndecodableError) throw err;
      ctl.log?.debug({ err }, 'the upload does not say its duration and frame size');
      return undefined;
    }
    const { probe, durationEstimated } = result;
    const durationMs = durationEstimated ? null : probe.durationMs;
    // A head-only MPEG-TS or AVI reports the span of the head, not of the file.
    const settled = durationMs !== null && (whole || DECLARED_DURATION.test(probe.container));
    const sideways = probe.rotation === 90 || probe.rotation === 270;
    return {
      container: probe.container,
      durationMs,
      width: sideways ? probe.height : probe.width,
      height: sideways ? probe.width : probe.height,
      settled,
    };
  });
}
