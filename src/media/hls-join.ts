/**
 * Joins one variant of an fMP4 HLS output — its init segment then its media segments, in
 * playlist order — into a single fragmented MP4 that the mov demuxer reads (the hls demuxer
 * stays off the allow-list, even for our own output). Streamed, never held in memory.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Only names ffmpeg's hls muxer gave, beside the playlist: nothing to resolve elsewhere. */
const PLAIN_NAME = /^[\w.-]+$/;

export async function joinVariant(playlist: string, out: string): Promise<void> {
  const text = await readFile(playlist, 'utf8');
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
  const segments = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (init === undefined || segments.length === 0) throw new Error(`${path.basename(playlist)} is not an fMP4 media playlist`);
  const files = [init, ...segments];
  const bad = files.find((f) => !PLAIN_NAME.test(f) || f === '.' || f === '..');
  if (bad !== undefined) throw new Error(`${path.basename(playlist)} names a file outside its folder: ${bad}`);
  const dir = path.dirname(playlist);
  const target = await open(out, 'w');
  try {
    for (const file of files) {
      for await (const chunk of createReadStream(path.join(dir, file))) await target.write(chunk as Buffer);
    }
  } finally {
    await target.close();
  }
}
