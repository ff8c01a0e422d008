/**
 * What to make of a video, as ffmpeg arguments: pure functions of the probe, tested without
 * running anything.
 */
import type { VideoProbe } from './ffmpeg.js';

export interface Rung {
  name: string;
  width: number;
  height: number;
  /** H.264 peak rate, kbit/s */
  maxrateK: number;
  /** x264 preset and CRF of this rung, and x264 options over the preset's (x264Args) */
  preset: X264Preset;
  crf: number;
  x264Params?: string;
}

export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium';

/** x264's macroblock tree (off in superfast) over 10 frames of lookahead (veryfast's) */
const MBTREE = 'mbtree=1:rc-lookahead=10';

/**
 * Rungs by the short edge, so a portrait phone video gets 360×640, 720×1280, …
 *
 * x264 settings per rung, by bench/video-encoders on its camera-like clip (real photos and
 * clips, 30 s; figures of 5 Dec 2026 in bench/README.md, CPU = ffmpeg's user + sys per second
 * of video for the rung's whole job, the 1080p decode included). Each rung must match
 * PeerTube's default (veryfast, 16 B-frames, capped) at the same size, for as little CPU as
 * possible: decoding the 1080p source costs ≈ 0.33 CPU s/s (0.37–0.38 with the scaling) per
 * job that does it, so encode time is what there is to save.
 * - 720p and 1080p: superfast with the macroblock tree. At PeerTube's SSIM the tree saves 46 %
 *   of superfast's bits for about the same CPU (±0.05 CPU s/s); veryfast is 0.2–0.4 CPU s/s
 *   dearer and needs more bits than the tree. 1080p: SSIM 0.9650 at 2598 kbit/s, 0.83 CPU s/s
 *   (PeerTube 0.9642 at 2662, 1.71); 720p: 0.9714 at 781 kbit/s, 0.58 (PeerTube 0.9717 at
 *   793, 1.00: a tie, 2 % more bits for its SSIM).
 * - 360p: veryfast with PeerTube's 16 B-frames, CRF 22: SSIM 0.9754 at 255 kbit/s, 0.52 CPU s/s
 *   (PeerTube 0.9748 at 274, 0.52). At 360p the encode is the small part of the job, and
 *   superfast + tree needed 29 % more bits than PeerTube for its SSIM.
 * - ultrafast (Immich's default) needs about twice the bits for the same SSIM: no.
 * The whole ladder, each rung decoding the source again: 1.93 CPU s per second of video (1.08
 * of it the three decodes); with 720p and 1080p from one decode (rungGroups) about 0.33 less;
 * PeerTube's default ladder 3.23. Decoder options that skip work
 * (-skip_loop_filter) save at most 0.05 CPU s/s a rung and cost more SSIM than 360p's margin.
 */
const LADDER = [
  { name: '360p', short: 360, maxrateK: 900, preset: 'veryfast', crf: 22, x264Params: 'bframes=16' },
  { name: '720p', short: 720, maxrateK: 3000, preset: 'superfast', crf: 23, x264Params: MBTREE },
  { name: '1080p', short: 1080, maxrateK: 6000, preset: 'superfast', crf: 23, x264Params: MBTREE },
] as const satisfies readonly { name: string; short: number; maxrateK: number; preset: X264Preset; crf: number; x264Params?: string }[];

export const SEGMENT_SECONDS = 4;
const AUDIO_KBPS = 128;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The rungs for a source of this displayed size: never upscaled; a tiny source gets one rung at its own size. */
export function planLadder(width: number, height: number): Rung[] {
  const short = Math.min(width, height);
  const scale = (s: number) => (width <= height ? { width: even(s), height: even((s * height) / width) } : { width: even((s * width) / height), height: even(s) });
  const rungs: Rung[] = LADDER.filter((r) => r.short <= short).map(({ short: s, ...r }) => ({ ...r, ...scale(s) }));
  if (rungs.length === 0) {
    const { short: _, ...smallest } = LADDER[0];
    rungs.push({ ...smallest, name: `${even(short)}p`, ...scale(short) });
  }
  return rungs;
}

/**
 * Filters that bring any source to 8-bit BT.709 SDR 4:2:0: HDR (PQ, HLG) is tone-mapped,
 * 10-bit SDR is only reduced. Rotation is applied by ffmpeg's decoder (autorotate).
 */
export function toSdr(probe: Pick<VideoProbe, 'hdr' | 'bitDepth'>): string {
  if (probe.hdr) {
    return 'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p';
  }
  return 'format=yuv420p';
}

/**
 * x264 options of one rung: its preset and CRF, capped at its peak rate (a buffer of two
 * seconds at that rate). `stream` is the output video stream's index when one ffmpeg process
 * encodes several rungs (hlsOutput); without it the options apply to the one video stream.
 */
export function x264Args(rung: Pick<Rung, 'preset' | 'crf' | 'maxrateK' | 'x264Params'>, stream?: number): string[] {
  const v = stream === undefined ? ':v' : `:v:${stream}`;
  return [
    `-c${v}`, 'libx264', `-preset${v}`, rung.preset, `-profile${v}`, 'high', `-crf${v}`, String(rung.crf),
    ...(rung.x264Params ? [`-x264-params${v}`, rung.x264Params] : []),
    `-maxrate${v}`, `${rung.maxrateK}k`, `-bufsize${v}`, `${rung.maxrateK * 2}k`,
    // the source's SEI user data (a drone's GPS, a camera's serial) is never re-inserted; off by
    // default in ffmpeg 5.1, stated so a changed default cannot turn it on
    `-udu_sei${v}`, '0',
  ];
}

/** The source's first video stream in SDR, split and scaled to each rung: labels `[v0]`, `[v1]`, … */
function ladderGraph(probe: VideoProbe, rungs: Rung[]): string {
  const sdr = toSdr(probe);
  const scale = (r: Rung) => `scale=${r.width}:${r.height}:flags=bicubic`;
  return rungs.length === 1
    ? `[0:v:0]${sdr},${scale(rungs[0]!)}[v0]`
    : `[0:v:0]${sdr},split=${rungs.length}${rungs.map((_, i) => `[s${i}]`).join('')};${rungs.map((r, i) => `[s${i}]${scale(r)}[v${i}]`).join(';')}`;
}

/** Keyframes every SEGMENT_SECONDS so every rung's segments start at the same instants. */
export const KEYFRAMES = ['-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`, '-sc_threshold', '0'];

/** No tag of the source (location, device, dates) may reach an output; checked on the output too. */
export const STRIP_METADATA = ['-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact'];

/** Output options of the HLS ladder, written as `<dir>/<rung>/index.m3u8` with fMP4 segments and `<dir>/master.m3u8`. */
export function hlsOutput(probe: VideoProbe, rungs: Rung[], dir: string): string[] {
  const args = ['-filter_complex', ladderGraph(probe, rungs)];
  rungs.forEach((r, i) => {
    args.push('-map', `[v${i}]`, ...x264Args(r, i));
  });
  if (probe.hasAudio) rungs.forEach(() => args.push('-map', '0:a:0'));
  args.push(...KEYFRAMES);
  if (probe.hasAudio) args.push('-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2');
  args.push(...STRIP_METADATA);
  const streamMap = rungs.map((r, i) => (probe.hasAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`)).join(' ');
  args.push(
    '-f', 'hls',
    '-hls_time', String(SEGMENT_SECONDS),
    '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4',
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', `${dir}/%v/seg-%05d.m4s`,
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', streamMap,
    `${dir}/%v/index.m3u8`,
  );
  return args;
}

/**
 * A long recording is encoded in pieces of this length, each its own job, so that several
 * workers share it. A multiple of SEGMENT_SECONDS: a piece ends where an HLS segment ends, so
 * the pieces' segments join into one timeline with a keyframe every SEGMENT_SECONDS.
 */
export const PIECE_SECONDS = 120;

export interface Piece {
  index: number;
  /** seconds from the start of the source */
  start: number;
  /** seconds; null for the last piece: to the end, whatever the container says the duration is */
  seconds: number | null;
}

/**
 * The pieces of a source of `durationMs`: PIECE_SECONDS each, the last one to the end. A last
 * piece shorter than half a piece joins the one before (no piece of a few seconds for a job of
 * its own); a clip of unknown length is one piece.
 *
 * From four pieces on, the last two pieces' worth is cut into half pieces (half a piece in
 * whole segments; the last still to the end). Why: when several workers share a recording, the
 * last large job keeps one of them busy while the others have nothing left. Two 1-core workers
 * on a 10-minute clip in five pieces: one sat idle 103–145 s while the other did the fifth
 * 720p + 1080p piece; with the halves, 11–23 s (bench/README.md, 7 December 2026). Each
 * piece more costs a seek and a job's start and store, about a second on one worker, so the
 * pieces ahead stay whole, and a recording of three pieces or fewer (up to 7 minutes at 120 s)
 * is cut as before.
 */
export function planPieces(durationMs: number | null, pieceSeconds = PIECE_SECONDS): Piece[] {
  if (pieceSeconds % SEGMENT_SECONDS !== 0) throw new RangeError(`a piece must be a multiple of ${SEGMENT_SECONDS} s`);
  const total = (durationMs ?? 0) / 1000;
  const count = Math.max(1, Math.round(total / pieceSeconds));
  const half = Math.floor(pieceSeconds / 2 / SEGMENT_SECONDS) * SEGMENT_SECONDS;
  const whole = count >= 4 && half > 0 ? count - 2 : count;
  const starts = Array.from({ length: whole }, (_, i) => i * pieceSeconds);
  if (whole < count) {
    const from = whole * pieceSeconds;
    const halves = Math.max(1, Math.round((total - from) / half));
    for (let i = 0; i < halves; i++) starts.push(from + i * half);
  }
  return starts.map((start, index) => ({ index, start, seconds: index === starts.length - 1 ? null : starts[index + 1]! - start }));
}

/** A piece's length in seconds: the last one's to the end of a recording of `durationMs`. */
export function pieceSeconds(piece: Piece, durationMs: number | null): number {
  return piece.seconds ?? Math.max(0, (durationMs ?? 0) / 1000 - piece.start);
}

/** Input options of a piece: an exact seek to its start (ffmpeg decodes from the keyframe before and drops what precedes). */
export function pieceInput(piece: Piece): string[] {
  return piece.start > 0 ? ['-ss', String(piece.start)] : [];
}

/**
 * Which rungs a piece's job encodes together, from one decode of the source: the smallest alone,
 * so that the video is playable as soon as it is done, then all the others at once. Decoding the
 * 1080p source is a third of a rung's job or more (see LADDER); measured on the earlier 18 Mbit/s
 * test clip, 40 s, superfast: 720p and 1080p apart 25.5 + 38.1 CPU s, together 49.7.
 */
export function rungGroups(rungs: Rung[]): Rung[][] {
  return rungs.length <= 1 ? [rungs] : [rungs.slice(0, 1), rungs.slice(1)];
}

/**
 * The spans of a piece that `ways` ffmpeg processes encode side by side, one thread each: whole
 * HLS segments, as even as they go, the last one to the piece's end; at most one a segment.
 * `seconds` is the piece's length (for the last piece, to the end of the recording).
 *
 * Why: for the smallest rung ffmpeg (5.1) keeps a 2-core machine only about 1.8 cores busy —
 * decoding the 1080p source is most of the work, and the hand-over from decoder to filter to
 * encoder is one thread. A 120 s piece of the benchmark clip at 360p took 36.3–39.4 s with
 * ffmpeg's own threads and 31.7–33.3 s as two 60 s spans with one thread each (5 % less CPU
 * too), 7 Dec 2026. For 720p and 1080p together the threads fill the cores already, and two
 * one-thread spans were slower (79.2 s against 72.7–73.6), so only the smallest rung is split
 * (see rungGroups). A span's seek decodes from the keyframe before it: a GOP more per span.
 */
export function pieceSpans(piece: Piece, seconds: number, ways: number): Piece[] {
  const segments = Math.max(1, Math.floor(seconds / SEGMENT_SECONDS + 1e-6));
  const count = Math.max(1, Math.min(Math.floor(ways), segments));
  if (count === 1) return [{ index: 0, start: piece.start, seconds: piece.seconds }];
  const spans: Piece[] = [];
  let at = 0;
  for (let index = 0; index < count; index++) {
    const take = Math.floor(segments / count) + (index < segments % count ? 1 : 0);
    const last = index === count - 1;
    spans.push({ index, start: piece.start + at * SEGMENT_SECONDS, seconds: last ? (piece.seconds === null ? null : piece.seconds - at * SEGMENT_SECONDS) : take * SEGMENT_SECONDS });
    at += take;
  }
  return spans;
}

/** Input options of one of several spans encoded side by side: one decoding thread, an exact seek to its start. */
export function spanInput(span: Piece): string[] {
  return ['-threads', '1', ...pieceInput(span)];
}

/**
 * Output options of one piece in one or more rungs, video only (the audio is encoded once for the
 * whole recording, audioOutput), rung i into `dirs[i]`: `index.m3u8`, `init.mp4` and
 * `seg-NNNNN.m4s`, timestamps from zero (hls-pieces moves them to the piece's start). The source
 * is decoded once for all of them. `oneThread`: filters and encoders on one thread each (a span
 * beside others, pieceSpans; with spanInput for the decoder).
 */
export function pieceOutput(probe: VideoProbe, rungs: Rung[], piece: Piece, dirs: string[], opts: { oneThread?: boolean } = {}): string[] {
  if (rungs.length === 0 || rungs.length !== dirs.length) throw new RangeError('one output directory per rung');
  const threads = opts.oneThread ? ['-threads', '1'] : [];
  const args = [...(opts.oneThread ? ['-filter_complex_threads', '1'] : []), '-filter_complex', ladderGraph(probe, rungs)];
  rungs.forEach((rung, i) => args.push(
    '-map', `[v${i}]`,
    ...x264Args(rung), ...threads, ...KEYFRAMES,
    '-an', '-sn', '-dn',
    ...(piece.seconds === null ? [] : ['-t', String(piece.seconds)]),
    ...STRIP_METADATA,
    ...hlsMuxer(dirs[i]!),
  ));
  return args;
}

/**
 * The highest rate of a source's AAC that is copied: Apple's HLS authoring specification
 * recommends 32–160 kbit/s for stereo AAC. Above it the encode (AUDIO_KBPS) spares visitors'
 * bandwidth: the smallest rung's video is about 255 kbit/s.
 */
const AUDIO_COPY_MAX_KBPS = 160;

/**
 * Whether the source's audio goes into the HLS audio rendition as it is, as PeerTube and Immich
 * do with AAC: no second generation, and no encode on the way to playable (ffmpeg's AAC encoder
 * is one thread: 8.6–13.2 s for a 10-minute recording, bench/video-flow; a copy 1.4 s). AAC-LC (the mp4a.40.2
 * the master playlist names), mono or stereo, at a rate the container states and at most
 * AUDIO_COPY_MAX_KBPS; anything else is encoded. Phones and cameras write such audio: the
 * fixtures' iPhone, action-camera and iMovie clips (86, 130 and 67 kbit/s).
 */
export function copiesAudio(probe: Pick<VideoProbe, 'audioCodec' | 'audioStream'>): boolean {
  const stream = probe.audioStream;
  return probe.audioCodec === 'aac' && stream?.profile === 'LC' && (stream.channels === 1 || stream.channels === 2)
    && stream.kbps !== null && stream.kbps <= AUDIO_COPY_MAX_KBPS;
}

/** Output options of the audio of the whole recording as one HLS rendition in `dir`, fMP4: copied (copiesAudio) or AAC stereo. */
export function audioOutput(probe: Pick<VideoProbe, 'audioCodec' | 'audioStream'>, dir: string): string[] {
  // an MPEG-TS source's AAC comes in ADTS frames, which MP4 does not take; the filter passes MP4's through
  const codec = copiesAudio(probe) ? ['-c:a', 'copy', '-bsf:a', 'aac_adtstoasc'] : ['-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2'];
  return ['-map', '0:a:0', '-vn', '-sn', '-dn', ...codec, ...STRIP_METADATA, ...hlsMuxer(dir)];
}

function hlsMuxer(dir: string): string[] {
  return [
    '-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
    '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${dir}/seg-%05d.m4s`, `${dir}/index.m3u8`,
  ];
}

export function isPlainH264(probe: VideoProbe): boolean {
  return probe.videoCodec === 'h264' && probe.bitDepth === 8 && !probe.hdr && (probe.pixelFormat === 'yuv420p' || probe.pixelFormat === 'yuvj420p');
}

export interface DownloadPlan {
  /**
   * the HLS rung whose streams are copied (720p, or the top rung of a smaller source); null when
   * the source itself is copied, being already a plain H.264/AAC of at most 720p
   */
  rung: string | null;
  width: number;
  height: number;
}

/**
 * The press/download MP4: 720p (the source size when smaller), H.264/AAC, moov first. Never a
 * second encode: a source already in that shape is copied (no generation loss), any other
 * gets the streams of the matching HLS rung, encoded once for both.
 */
export function downloadPlan(probe: VideoProbe): DownloadPlan {
  const short = Math.min(probe.width, probe.height);
  const audioOk = !probe.hasAudio || probe.audioCodec === 'aac';
  if (short <= 720 && isPlainH264(probe) && audioOk && probe.rotation === 0) {
    return { rung: null, width: probe.width, height: probe.height };
  }
  const rungs = planLadder(probe.width, probe.height);
  const target = rungs.find((r) => r.name === '720p') ?? rungs[rungs.length - 1]!;
  return { rung: target.name, width: target.width, height: target.height };
}

/**
 * Drops every SEI NAL unit (type 6) of an H.264 stream that is copied. Drones and dash cams write
 * GPS positions, serial numbers and owner data into SEI user data, inside the video bitstream,
 * where -map_metadata does not reach. A copied MP4 needs none of the rest: buffering and timing
 * SEI serve broadcast decoders, and the copied streams start on an IDR frame.
 */
export const STRIP_H264_SEI = ['-bsf:v', 'filter_units=remove_types=6'];

/**
 * Output options copying the first video and audio streams of the input (the source, or a
 * rung's init segment and segments joined into one fragmented MP4) into a faststart MP4.
 * Both are H.264 (see downloadPlan), so the H.264 SEI filter applies.
 */
export function mp4Output(probe: Pick<VideoProbe, 'hasAudio'>, out: string): string[] {
  const args = ['-map', '0:v:0'];
  if (probe.hasAudio) args.push('-map', '0:a:0');
  args.push('-c', 'copy', ...STRIP_H264_SEI, ...STRIP_METADATA, '-movflags', '+faststart', '-f', 'mp4', out);
  return args;
}

/**
 * Output options of the download MP4 from a rung's video and the recording's audio, each joined
 * from its HLS parts into one fragmented MP4 (inputs 0 and 1): both copied, moov first.
 */
export function mp4FromPartsOutput(hasAudio: boolean, out: string): string[] {
  const args = ['-map', '0:v:0'];
  if (hasAudio) args.push('-map', '1:a:0');
  args.push('-c', 'copy', ...STRIP_H264_SEI, ...STRIP_METADATA, '-movflags', '+faststart', '-f', 'mp4', out);
  return args;
}

/**
 * The poster: the most representative of the frames around a tenth of the way in (the
 * thumbnail filter picks the frame closest to their average, so not a black fade-in).
 */
export function posterInput(probe: VideoProbe): string[] {
  const seconds = (probe.durationMs ?? 0) / 1000;
  // a short clip is looked at whole; a long one from a tenth in (at most 30 s), past fade-ins
  const at = seconds >= 4 ? Math.min(seconds / 10, 30) : 0;
  return at > 0 ? ['-ss', at.toFixed(3)] : [];
}

/** How many frames the thumbnail filter weighs: about two seconds' worth, fewer for a short clip. */
export function posterFrames(probe: VideoProbe): number {
  const fps = probe.frameRate ?? 25;
  const seconds = (probe.durationMs ?? 2000) / 1000;
  return Math.max(1, Math.min(60, Math.floor(fps * Math.min(2, seconds * 0.8))));
}

export function posterOutput(probe: VideoProbe, out: string): string[] {
  const frames = posterFrames(probe);
  const pick = frames >= 2 ? `,thumbnail=${frames}` : '';
  return ['-map', '0:v:0', '-vf', `${toSdr(probe)}${pick}`, '-frames:v', '1', ...STRIP_METADATA, '-f', 'image2', '-c:v', 'png', out];
}

export interface StoryboardPlan {
  /** seconds between thumbnails */
  interval: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  count: number;
}

/** Thumbnails for scrubbing: at most 100, at least one a second apart, 160 px wide, in one sprite. */
export function storyboardPlan(probe: VideoProbe): StoryboardPlan {
  const seconds = Math.max(1, (probe.durationMs ?? 1000) / 1000);
  const interval = Math.max(1, Math.ceil(seconds / 100));
  const count = Math.max(1, Math.floor(seconds / interval));
  const tileWidth = 160;
  const tileHeight = even((tileWidth * probe.height) / probe.width);
  const columns = Math.min(10, count);
  return { interval, tileWidth, tileHeight, columns, rows: Math.ceil(count / columns), count };
}

/**
 * The storyboard is made from the smallest rung, once it is complete: its segments are small,
 * every one starts with a keyframe (SEGMENT_SECONDS apart), and it is SDR and upright already.
 * When the tiles are at least a segment apart, only the segment holding each tile's instant is
 * read and only its keyframe decoded (a tile shows the picture at the start of its segment, at
 * most SEGMENT_SECONDS before its instant); closer tiles (a clip of a few minutes) decode every
 * frame of the rung and show their very instant.
 */
export function storyboardFromKeyframes(board: StoryboardPlan): boolean {
  return board.count > 1 && board.interval >= SEGMENT_SECONDS;
}

/**
 * Which of a rung's segments (their lengths in order, from the rung's start) the storyboard
 * reads: the one holding each tile's instant, each once, in order; all of them when every frame
 * is decoded.
 */
export function storyboardSegments(board: StoryboardPlan, segments: readonly { seconds: number }[]): number[] {
  if (!storyboardFromKeyframes(board)) return segments.map((_, i) => i);
  const picked = new Set<number>();
  let start = 0;
  let tile = 0;
  for (const [i, s] of segments.entries()) {
    const end = start + s.seconds;
    for (; tile < board.count && tile * board.interval < end; tile++) picked.add(i);
    start = end;
  }
  // instants past the last segment's end (the rung a little shorter than the probe said): its last segment
  if (tile < board.count && segments.length > 0) picked.add(segments.length - 1);
  return [...picked];
}

export function storyboardInput(board: StoryboardPlan): string[] {
  return storyboardFromKeyframes(board) ? ['-skip_frame', 'nokey'] : [];
}

/**
 * Each tile is the last picture at or before its instant (`round=up` gives a picture to the
 * first tile at or after it); tiles between the segments read repeat the one before. The last
 * picture is held for an interval (tpad), or the fps filter, ending with its input, would not
 * give the last tile the keyframe before it. One tile: the first picture, whatever its time.
 */
export function storyboardOutput(board: StoryboardPlan, out: string): string[] {
  const pick = board.count > 1 ? `tpad=stop_mode=clone:stop_duration=${board.interval},fps=1/${board.interval}:round=up,` : '';
  return [
    '-map', '0:v:0',
    '-vf', `${pick}scale=${board.tileWidth}:${board.tileHeight},tile=${board.columns}x${board.rows}`,
    '-frames:v', '1', ...STRIP_METADATA, '-f', 'image2', '-c:v', 'png', out,
  ];
}

/** WebVTT thumbnails track pointing into the sprite with media fragments. */
export function storyboardVtt(plan: StoryboardPlan, spriteUrl: string, durationMs: number | null): string {
  const lines = ['WEBVTT', ''];
  const end = (durationMs ?? plan.count * plan.interval * 1000) / 1000;
  for (let i = 0; i < plan.count; i++) {
    const from = i * plan.interval;
    const to = Math.min(end, (i + 1) * plan.interval);
    if (to <= from) break;
    const x = (i % plan.columns) * plan.tileWidth;
    const y = Math.floor(i / plan.columns) * plan.tileHeight;
    lines.push(`${vttTime(from)} --> ${vttTime(to)}`, `${spriteUrl}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}`, '');
  }
  return lines.join('\n');
}

function vttTime(s: number): string {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

/**
 * The muxers that write a cleaned original in its upload's own container, by the upload's
 * type, in the order to try: WebM is Matroska restricted to some codecs, and a browser's
 * recorder writes H.264 into it, which only the Matroska muxer copies.
 */
const ORIGINAL_MUXERS: Readonly<Record<string, readonly string[]>> = {
  'video/mp4': ['mp4'], 'video/x-m4v': ['mp4'], 'video/quicktime': ['mov'], 'video/3gpp': ['3gp'], 'video/3gpp2': ['3g2'],
  'video/matroska': ['matroska'], 'video/webm': ['webm', 'matroska'], 'video/mp2t': ['mpegts'], 'video/vnd.avi': ['avi'],
};

export function originalMuxers(mimeType: string): readonly string[] {
  return ORIGINAL_MUXERS[mimeType] ?? [];
}

/**
 * Output options of an original without its metadata, written by `muxer`: the picture (the
 * first video stream that is not cover art) and every audio stream, copied packet for packet.
 * Everything else goes: container and stream tags, chapters, data tracks (the timed GPS of
 * phones, action cameras and drones), subtitle tracks (where drones print their position),
 * and in H.264 the SEI units (AVCHD camcorders write position and serial there). The capture
 * time stays, as the instant it was.
 */
export function cleanOriginalOutput(probe: Pick<VideoProbe, 'hasAudio' | 'videoCodec' | 'creationTime'>, muxer: string, out: string): string[] {
  const args = ['-map', '0:V:0', ...(probe.hasAudio ? ['-map', '0:a'] : []), '-c', 'copy'];
  if (probe.videoCodec === 'h264') args.push(...STRIP_H264_SEI);
  args.push(...STRIP_METADATA);
  if (probe.creationTime) args.push('-metadata', `creation_time=${probe.creationTime.toISOString()}`);
  args.push('-f', muxer, out);
  return args;
}
