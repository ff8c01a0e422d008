/**
 * Joining the pieces of one HLS rung that were encoded apart (each piece of a long recording
 * on whichever worker took it) into one media playlist, without re-encoding.
 *
 * ffmpeg starts the timeline of every piece at zero: the fragments' decode times (`tfdt`) of
 * a piece that begins 120 s in say 0 s, and ffmpeg's `-output_ts_offset` only moves the init
 * segment's edit list. So each piece is encoded from zero, its init segment is the same bytes as
 * every other piece's of that rung (same encoder settings, same size: checked, not assumed),
 * and its fragments' `tfdt` are moved by the piece's start. The rung then has one init segment
 * and one continuous timeline, as if one ffmpeg run had made it: no discontinuity for a player.
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The timescale of the first track of an fMP4 init segment (its `mdhd`): ticks per second of its `tfdt`. */
export function trackTimescale(init: Buffer): number {
  const mdhd = findBox(init, ['moov', 'trak', 'mdia', 'mdhd']);
  if (!mdhd) throw new Error('the init segment has no track header (moov/trak/mdia/mdhd)');
  const version = init[mdhd.body]!;
  // version 1: creation and modification times are 64-bit
  return init.readUInt32BE(mdhd.body + (version === 1 ? 20 : 12));
}

/**
 * Adds `ticks` to the base media decode time of every fragment of an fMP4 media segment, in
 * place. ffmpeg writes `tfdt` version 1 (64-bit); a version 0 one that would overflow is refused.
 * Answers how many fragments were moved.
 */
export async function shiftFragments(file: string, ticks: bigint): Promise<number> {
  if (ticks === 0n) return 0;
  const handle = await open(file, 'r+');
  try {
    const data = await handle.readFile();
    let moved = 0;
    for (const moof of boxes(data, 0, data.length)) {
      if (moof.type !== 'moof') continue;
      for (const traf of boxes(data, moof.body, moof.end)) {
        if (traf.type !== 'traf') continue;
        for (const tfdt of boxes(data, traf.body, traf.end)) {
          if (tfdt.type !== 'tfdt') continue;
          const version = data[tfdt.body]!;
          const at = tfdt.body + 4;
          const buf = Buffer.alloc(version === 1 ? 8 : 4);
          if (version === 1) {
            buf.writeBigUInt64BE(data.readBigUInt64BE(at) + ticks);
          } else {
            const value = BigInt(data.readUInt32BE(at)) + ticks;
            if (value > 0xffffffffn) throw new Error(`${path.basename(file)}: a 32-bit decode time cannot be moved by ${ticks} ticks`);
            buf.writeUInt32BE(Number(value));
          }
          await handle.write(buf, 0, buf.length, at);
          moved++;
        }
      }
    }
    if (moved === 0) throw new Error(`${path.basename(file)} has no fragment to move`);
    return moved;
  } finally {
    await handle.close();
  }
}

/** One piece's media playlist as ffmpeg wrote it: its init segment and its segments with their durations. */
export interface PiecePlaylist {
  init: string;
  segments: { file: string; seconds: number }[];
}

/** Only names ffmpeg's hls muxer gave, beside the playlist: nothing to resolve elsewhere. */
const PLAIN_NAME = /^[\w.-]+$/;

export async function readPiecePlaylist(file: string): Promise<PiecePlaylist> {
  const text = await readFile(file, 'utf8');
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
  const segments: { file: string; seconds: number }[] = [];
  let seconds: number | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    const inf = /^#EXTINF:([\d.]+)/.exec(line);
    if (inf) seconds = Number(inf[1]);
    else if (line !== '' && !line.startsWith('#')) {
      if (seconds === undefined) throw new Error(`${path.basename(file)}: ${line} has no duration`);
      segments.push({ file: line, seconds });
      seconds = undefined;
    }
  }
  if (init === undefined || segments.length === 0) throw new Error(`${path.basename(file)} is not an fMP4 media playlist`);
  const bad = [init, ...segments.map((s) => s.file)].find((f) => !PLAIN_NAME.test(f) || f === '.' || f === '..');
  if (bad !== undefined) throw new Error(`${path.basename(file)} names a file outside its folder: ${bad}`);
  return { init, segments };
}

/** A segment of a joined rung: its name beside the rung's playlist and its duration. */
export interface JoinedSegment {
  name: string;
  seconds: number;
}

/** The VOD media playlist of a rung: one init segment, then every piece's segments in order. */
export function rungPlaylist(init: string, segments: JoinedSegment[]): string {
  const target = Math.max(1, ...segments.map((s) => Math.round(s.seconds)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-MAP:URI="${init}"`];
  for (const s of segments) lines.push(`#EXTINF:${s.seconds.toFixed(6)},`, s.name);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

/**
 * The outputs of spans of one piece, encoded side by side (each in its directory, from zero),
 * joined into `out` as if one ffmpeg run had made the piece: one init segment (every span's must
 * be the same bytes), the segments renumbered in order, each span's fragments moved by its
 * offset (`offsets`, seconds: where it starts in the recording, so that each file is rewritten
 * once), and the piece's playlist. The files are moved, not
 * copied. Spans at the end that ffmpeg found nothing in (the recording ends before they start,
 * though its container said otherwise) are left out; an empty span before one with pictures is a
 * hole, refused.
 */
export async function joinSpans(dirs: string[], offsets: number[], out: string): Promise<void> {
  if (dirs.length === 0 || dirs.length !== offsets.length) throw new RangeError('one offset per span');
  let init: Buffer | undefined;
  const segments: JoinedSegment[] = [];
  const playlists = await Promise.all(dirs.map((dir) => readPiecePlaylist(path.join(dir, 'index.m3u8'))));
  const empty = playlists.map((p) => p.segments.every((s) => s.seconds === 0));
  const used = empty.lastIndexOf(false) + 1;
  if (used === 0) throw new Error('no span of the piece has a picture');
  const hole = empty.slice(0, used).indexOf(true);
  if (hole !== -1) throw new Error(`span ${hole} of the piece is empty, but a later one is not`);
  for (const [i, dir] of dirs.slice(0, used).entries()) {
    const playlist = playlists[i]!;
    const own = await readFile(path.join(dir, playlist.init));
    if (init === undefined) init = own;
    else if (!own.equals(init)) throw new Error(`span ${i} of the piece has another init segment than span 0: not joined`);
    const ticks = BigInt(Math.round(offsets[i]! * trackTimescale(own)));
    for (const seg of playlist.segments) {
      const name = `seg-${String(segments.length).padStart(5, '0')}.m4s`;
      await shiftFragments(path.join(dir, seg.file), ticks);
      await rename(path.join(dir, seg.file), path.join(out, name));
      segments.push({ name, seconds: seg.seconds });
    }
  }
  await writeFile(path.join(out, 'init.mp4'), init!);
  await writeFile(path.join(out, 'index.m3u8'), rungPlaylist('init.mp4', segments));
}

export interface MasterVariant {
  /** the rung's playlist, relative to the master */
  uri: string;
  width: number;
  height: number;
  /** peak and average segment bit rate of the video, bit/s */
  peakBps: number;
  averageBps: number;
  /** RFC 6381, e.g. avc1.64001f */
  codecs: string;
}

export interface MasterAudio {
  uri: string;
  peakBps: number;
  averageBps: number;
  codecs: string;
}

/**
 * The master playlist of the rungs finished so far, smallest first, with the audio as one
 * rendition group every rung refers to (the audio is encoded once, for the whole recording).
 */
export function masterPlaylist(variants: MasterVariant[], audio: MasterAudio | null): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio) lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,URI="${audio.uri}"`);
  for (const v of [...variants].sort((a, b) => a.width * a.height - b.width * b.height)) {
    const peak = Math.round(v.peakBps + (audio?.peakBps ?? 0));
    const average = Math.round(v.averageBps + (audio?.averageBps ?? 0));
    const codecs = audio ? `${v.codecs},${audio.codecs}` : v.codecs;
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${peak},AVERAGE-BANDWIDTH=${average},RESOLUTION=${v.width}x${v.height},CODECS="${codecs}"${audio ? ',AUDIO="audio"' : ''}`, v.uri);
  }
  lines.push('');
  return lines.join('\n');
}

/** The peak and average bit rate of segments of the given sizes (bytes) and durations (s). */
export function segmentRates(segments: { bytes: number; seconds: number }[]): { peakBps: number; averageBps: number } {
  const seconds = segments.reduce((s, x) => s + x.seconds, 0);
  const bytes = segments.reduce((s, x) => s + x.bytes, 0);
  // a last segment of a few frames would claim an absurd peak
  const peak = Math.max(0, ...segments.filter((s) => s.seconds >= 0.5).map((s) => (s.bytes * 8) / s.seconds));
  const averageBps = seconds > 0 ? (bytes * 8) / seconds : 0;
  return { peakBps: Math.max(peak, averageBps), averageBps };
}

/** The RFC 6381 codec string of the first track of an init segment: `avc1.PPCCLL` or `mp4a.40.N`. */
export function codecString(init: Buffer): string {
  const avcC = findBox(init, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'], 8, 'avcC');
  if (avcC) {
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    return `avc1.${hex(init[avcC.body + 1]!)}${hex(init[avcC.body + 2]!)}${hex(init[avcC.body + 3]!)}`;
  }
  if (findBox(init, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'], 8, 'mp4a')) return 'mp4a.40.2';
  throw new Error('the init segment holds neither H.264 nor AAC');
}

interface Box {
  type: string;
  start: number;
  /** where the box's content starts */
  body: number;
  end: number;
}

function* boxes(data: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      size = Number(data.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < body - at || at + size > to) throw new Error(`a damaged ${type} box at byte ${at}`);
    yield { type, start: at, body, end: at + size };
    at += size;
  }
}

/**
 * The box at `route` (each step the first box of that type); with `then`, the first box of that
 * type found anywhere under it, searched byte by byte past `skip` bytes of the last box's
 * header (`stsd`'s entries sit inside sample entries of varying layouts).
 */
function findBox(data: Buffer, route: string[], skip = 0, then?: string): Box | undefined {
  let range = { body: 0, end: data.length };
  let found: Box | undefined;
  for (const type of route) {
    found = [...boxes(data, range.body, range.end)].find((b) => b.type === type);
    if (!found) return undefined;
    range = found;
  }
  if (!then || !found) return found;
  const at = data.indexOf(then, found.body + skip, 'latin1');
  if (at < 4 || at >= found.end) return undefined;
  const start = at - 4;
  return { type: then, start, body: at + 4, end: start + data.readUInt32BE(start) };
}
