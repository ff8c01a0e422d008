/**
 * The pieces of a long recording: how it is cut, and how pieces encoded apart by ffmpeg are
 * joined into one timeline (real ffmpeg output, read back with ffprobe).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { codecString, joinSpans, masterPlaylist, readPiecePlaylist, rungPlaylist, segmentRates, shiftFragments, trackTimescale } from '../../src/media/hls-pieces.js';
import { planLadder, planPieces, pieceInput, pieceOutput, pieceSpans, rungGroups, spanInput } from '../../src/media/video-plan.js';
import type { VideoProbe } from '../../src/media/ffmpeg.js';

const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-pieces-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));

t.test('planPieces: pieces of the given length from zero, the last to the end, a short tail joined to the piece before', async (t) => {
  const cut = (ms: number | null, piece: number) => planPieces(ms, piece).map((p) => [p.start, p.seconds]);
  t.same(cut(360_000, 120), [[0, 120], [120, 120], [240, null]], 'three pieces: whole');
  t.same(cut(400_000, 120), [[0, 120], [120, 120], [240, null]], '40 s of tail go with the last piece');
  t.same(cut(9_000, 120), [[0, null]], 'a short clip is one piece');
  t.same(cut(null, 120), [[0, null]], 'a clip of unknown length too');
  t.throws(() => planPieces(600_000, 10), RangeError, 'a piece ends where an HLS segment ends');
});

t.test('planPieces: from four pieces on, the last two pieces\' worth in half pieces', async (t) => {
  const cut = (ms: number, piece: number) => planPieces(ms, piece).map((p) => [p.start, p.seconds]);
  t.same(cut(600_000, 120), [[0, 120], [120, 120], [240, 120], [360, 60], [420, 60], [480, 60], [540, null]], 'ten minutes: three whole pieces, four halves');
  t.same(cut(480_000, 120), [[0, 120], [120, 120], [240, 60], [300, 60], [360, 60], [420, null]]);
  t.same(cut(620_000, 120).slice(-2), [[480, 60], [540, null]], '20 s past the last half go with it');
  t.same(cut(650_000, 120).slice(-2), [[540, 60], [600, null]], '50 s past it are a half of their own');
  const panel = planPieces(5_400_000, 120);
  t.same([panel.length, panel.filter((p) => p.seconds === 120).length, panel.at(-1)!.start], [47, 43, 5340], 'a 90-minute panel: 43 whole pieces, then four halves');
  t.same(panel.map((p) => p.index), panel.map((_, i) => i), 'numbered in order');
  t.ok(panel.every((p, i) => i === 0 || p.start === panel[i - 1]!.start + panel[i - 1]!.seconds!), 'each piece starts where the one before ends');
  t.same(cut(40_000, 4).length, 10, 'a piece of one segment is not halved');
  t.same(cut(48_000, 12), [[0, 12], [12, 12], [24, 4], [28, 4], [32, 4], [36, 4], [40, 4], [44, null]], 'half a piece in whole segments: 4 s of a 12 s piece');
});

t.test('playlists: a rung of joined pieces, and a master with the audio as a group', async (t) => {
  const rung = rungPlaylist('init.mp4', [{ name: 'p000-seg-00000.m4s', seconds: 4 }, { name: 'p001-seg-00000.m4s', seconds: 3.5 }]);
  t.equal(rung, '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.000000,\np000-seg-00000.m4s\n#EXTINF:3.500000,\np001-seg-00000.m4s\n#EXT-X-ENDLIST\n');
  const master = masterPlaylist([
    { uri: '720p/index.m3u8', width: 1280, height: 720, peakBps: 3_000_000, averageBps: 2_000_000, codecs: 'avc1.64001f' },
    { uri: '360p/index.m3u8', width: 640, height: 360, peakBps: 900_000, averageBps: 600_000, codecs: 'avc1.64001e' },
  ], { uri: 'audio/index.m3u8', peakBps: 130_000, averageBps: 128_000, codecs: 'mp4a.40.2' });
  t.equal(master, [
    '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=1030000,AVERAGE-BANDWIDTH=728000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"', '360p/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=3130000,AVERAGE-BANDWIDTH=2128000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"', '720p/index.m3u8', '',
  ].join('\n'), 'smallest first, each naming the audio group');
  t.notMatch(masterPlaylist([{ uri: 'a/index.m3u8', width: 2, height: 2, peakBps: 1, averageBps: 1, codecs: 'avc1.640028' }], null), /AUDIO/, 'a silent video has no audio group');
  t.same(segmentRates([{ bytes: 2000, seconds: 4 }, { bytes: 500, seconds: 4 }, { bytes: 100, seconds: 0.1 }]), { peakBps: 4000, averageBps: (2600 * 8) / 8.1 }, 'the busiest segment sets the peak, a last sliver does not');
});

t.test('the smallest rung is encoded alone, the others together from one decode, each into its own directory', async (t) => {
  t.same(rungGroups(planLadder(1920, 1080)).map((g) => g.map((r) => r.name)), [['360p'], ['720p', '1080p']]);
  t.same(rungGroups(planLadder(1280, 720)).map((g) => g.map((r) => r.name)), [['360p'], ['720p']]);
  t.same(rungGroups(planLadder(320, 240)).map((g) => g.map((r) => r.name)), [['240p']], 'a small source: its one rung');
  const source = path.join(scratch, 'wide.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', source]);
  const probe = { width: 1280, height: 720, hdr: false, bitDepth: 8 } as VideoProbe;
  const rungs = planLadder(1280, 720);
  const dirs = rungs.map((r) => path.join(scratch, `both-${r.name}`));
  for (const dir of dirs) await mkdir(dir);
  const [piece] = planPieces(4_000, 4);
  execFileSync('ffmpeg', ['-v', 'error', '-i', source, ...pieceOutput(probe, rungs, piece!, dirs)]);
  for (const [i, dir] of dirs.entries()) {
    const playlist = await readPiecePlaylist(path.join(dir, 'index.m3u8'));
    const file = path.join(scratch, `both-${i}.mp4`);
    await writeFile(file, Buffer.concat([await readFile(path.join(dir, playlist.init)), ...(await Promise.all(playlist.segments.map((s) => readFile(path.join(dir, s.file)))))]));
    const size = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', file]).toString().trim();
    t.equal(size, `${rungs[i]!.width},${rungs[i]!.height},100`, `${rungs[i]!.name}: its own size, every frame`);
  }
});

t.test('pieces of two lengths encoded apart join into one timeline: one init segment, every frame once, evenly spaced', async (t) => {
  const source = path.join(scratch, 'source.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=32', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', source]);
  const probe = { width: 640, height: 360, hdr: false, bitDepth: 8 } as VideoProbe;
  const [rung] = planLadder(640, 360);
  const pieces = planPieces(32_000, 8);
  t.same(pieces.map((p) => p.seconds), [8, 8, 4, 4, 4, null], 'two whole pieces, then halves');
  const joined: Buffer[] = [];
  const inits: Buffer[] = [];
  for (const piece of pieces) {
    const dir = path.join(scratch, `p${piece.index}`);
    await mkdir(dir);
    execFileSync('ffmpeg', ['-v', 'error', ...pieceInput(piece), '-i', source, ...pieceOutput(probe, [rung!], piece, [dir])]);
    const playlist = await readPiecePlaylist(path.join(dir, 'index.m3u8'));
    const init = await readFile(path.join(dir, playlist.init));
    inits.push(init);
    t.equal(trackTimescale(init) % 25, 0, 'a timescale in which every frame starts on a tick');
    for (const s of playlist.segments) {
      const file = path.join(dir, s.file);
      t.equal(await shiftFragments(file, BigInt(piece.start * trackTimescale(init))), piece.start === 0 ? 0 : 1, `${s.file} of piece ${piece.index}: its fragment moved to the piece's start`);
      joined.push(await readFile(file));
    }
  }
  t.ok(inits.every((init) => init.equals(inits[0]!)), 'the pieces share one init segment, byte for byte');
  t.match(codecString(inits[0]!), /^avc1\.6400[0-9a-f]{2}$/, 'H.264 High');
  const out = path.join(scratch, 'joined.mp4');
  await writeFile(out, Buffer.concat([inits[0]!, ...joined]));
  const times = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out]).toString()
    .split('\n').map((l) => l.replace(/,$/, '').trim()).filter(Boolean).map(Number);
  t.equal(times.length, 800, '32 s at 25 fps: 800 frames');
  const steps = times.slice(1).map((x, i) => x - times[i]!);
  t.ok(steps.every((s) => Math.abs(s - 0.04) < 0.001), `one frame apart everywhere, across the join too (${Math.min(...steps)}–${Math.max(...steps)})`);

  await t.rejects(shiftFragments(path.join(scratch, 'p1', 'init.mp4'), 1n), /no fragment to move/, 'a file without fragments is refused');
});

t.test('pieceSpans: a piece cut into whole segments for processes side by side, the last span to the piece\'s end', async (t) => {
  const spans = (start: number, seconds: number | null, length: number, ways: number) => pieceSpans({ index: 3, start, seconds }, length, ways).map((s) => [s.start, s.seconds]);
  t.same(spans(120, 120, 120, 2), [[120, 60], [180, 60]], 'two halves');
  t.same(spans(120, 120, 120, 4), [[120, 32], [152, 32], [184, 28], [212, 28]], '30 segments in four: 8, 8, 7 and 7');
  t.same(spans(480, null, 130, 2), [[480, 64], [544, null]], 'the last piece: 32 whole segments in two, the last span to the end of the recording');
  t.same(spans(8, 8, 8, 3), [[8, 4], [12, 4]], 'never less than a segment a span');
  t.same(spans(0, null, 3, 2), [[0, null]], 'a piece shorter than a segment is not cut');
  t.same(spans(0, 120, 120, 1), [[0, 120]], 'one process: the piece itself');
  t.same(pieceSpans({ index: 0, start: 0, seconds: 8 }, 8, 2).map((s) => s.index), [0, 1]);
});

t.test('spans of a piece encoded side by side, one thread each, join into what one run makes: every frame once, evenly spaced', async (t) => {
  const source = path.join(scratch, 'spans-source.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=10', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', source]);
  const probe = { width: 640, height: 360, hdr: false, bitDepth: 8 } as VideoProbe;
  const [rung] = planLadder(640, 360);
  const piece = { index: 0, start: 0, seconds: null };
  const spans = pieceSpans(piece, 10, 2);
  t.same(spans.map((s) => [s.start, s.seconds]), [[0, 4], [4, null]]);
  const dirs: string[] = [];
  for (const span of spans) {
    const dir = path.join(scratch, `span${span.index}`);
    await mkdir(dir);
    dirs.push(dir);
    const args = ['-v', 'error', ...spanInput(span), '-i', source, ...pieceOutput(probe, [rung!], span, [dir], { oneThread: true })];
    t.equal(args.filter((a) => a === '-threads').length, 2, 'one thread for the decoder, one for the encoder');
    execFileSync('ffmpeg', args);
  }
  const out = path.join(scratch, 'spans-joined');
  await mkdir(out);
  await joinSpans(dirs, spans.map((s) => s.start - piece.start), out);
  const playlist = await readPiecePlaylist(path.join(out, 'index.m3u8'));
  t.same(playlist.segments.map((s) => s.file), ['seg-00000.m4s', 'seg-00001.m4s', 'seg-00002.m4s'], 'the segments renumbered in order');
  const file = path.join(scratch, 'spans-joined.mp4');
  await writeFile(file, Buffer.concat([await readFile(path.join(out, playlist.init)), ...(await Promise.all(playlist.segments.map((s) => readFile(path.join(out, s.file)))))]));
  const times = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file]).toString()
    .split('\n').map((l) => l.replace(/,$/, '').trim()).filter(Boolean).map(Number).sort((a, b) => a - b);
  t.equal(times.length, 250, '10 s at 25 fps: 250 frames');
  const steps = times.slice(1).map((x, i) => x - times[i]!);
  t.ok(steps.every((s) => Math.abs(s - 0.04) < 0.001), `one frame apart everywhere, across the join too (${Math.min(...steps)}–${Math.max(...steps)})`);

  // spans whose init segments differ (another size) are not joined
  const other = path.join(scratch, 'span-other');
  await mkdir(other);
  const [small] = planLadder(320, 180);
  execFileSync('ffmpeg', ['-v', 'error', ...spanInput(spans[1]!), '-i', source, ...pieceOutput(probe, [small!], spans[1]!, [other], { oneThread: true })]);
  const refused = path.join(scratch, 'spans-refused');
  await mkdir(refused);
  await t.rejects(joinSpans([out, other], [0, 4], refused), /span 1 of the piece has another init segment/);
});

t.test('spans of a recording shorter than its container said: the empty spans at the end are left out, an empty one before pictures is refused', async (t) => {
  const source = path.join(scratch, 'short-source.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=10', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', source]);
  const probe = { width: 640, height: 360, hdr: false, bitDepth: 8 } as VideoProbe;
  const [rung] = planLadder(640, 360);
  // the container claims 20 s: the second span starts at 12 s, past the last picture
  const spans = pieceSpans({ index: 0, start: 0, seconds: null }, 20, 2);
  t.same(spans.map((s) => [s.start, s.seconds]), [[0, 12], [12, null]]);
  const dirs: string[] = [];
  for (const span of spans) {
    const dir = path.join(scratch, `short-span${span.index}`);
    await mkdir(dir);
    dirs.push(dir);
    execFileSync('ffmpeg', ['-v', 'error', ...spanInput(span), '-i', source, ...pieceOutput(probe, [rung!], span, [dir], { oneThread: true })]);
  }
  const refused = path.join(scratch, 'short-refused');
  await mkdir(refused);
  await t.rejects(joinSpans([dirs[1]!, dirs[0]!], [0, 12], refused), /span 0 of the piece is empty, but a later one is not/, 'a hole is refused');
  const out = path.join(scratch, 'short-joined');
  await mkdir(out);
  await joinSpans(dirs, [0, 12], out);
  const playlist = await readPiecePlaylist(path.join(out, 'index.m3u8'));
  t.same(playlist.segments.map((s) => s.file), ['seg-00000.m4s', 'seg-00001.m4s', 'seg-00002.m4s'], 'the first span\'s segments alone');
  const file = path.join(scratch, 'short-joined.mp4');
  await writeFile(file, Buffer.concat([await readFile(path.join(out, playlist.init)), ...(await Promise.all(playlist.segments.map((s) => readFile(path.join(out, s.file)))))]));
  const frames = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim();
  t.equal(frames, '250', 'every picture of the 10 s');
});
