/**
 * The storyboard from the smallest rung: which segments it reads, and that each tile of the
 * sprite ffmpeg makes from them is the picture it should be (real ffmpeg output, compared pixel
 * by pixel with the rung's own frames).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import type { VideoProbe } from '../../src/media/ffmpeg.js';
import { readPiecePlaylist } from '../../src/media/hls-pieces.js';
import { pieceOutput, planLadder, storyboardFromKeyframes, storyboardInput, storyboardOutput, storyboardPlan, storyboardSegments, type StoryboardPlan } from '../../src/media/video-plan.js';

const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-storyboard-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));

const board = (interval: number, count: number): StoryboardPlan => ({ interval, count, tileWidth: 160, tileHeight: 90, columns: Math.min(10, count), rows: Math.ceil(count / 10) });
const fours = (n: number, last = 4) => Array.from({ length: n }, (_, i) => ({ seconds: i === n - 1 ? last : 4 }));

t.test('storyboardSegments: the segment holding each tile\'s instant, once each, or every segment when tiles are closer than segments', async (t) => {
  t.same(storyboardSegments(board(6, 5), fours(8)), [0, 1, 3, 4, 6], 'tiles at 0, 6, 12, 18, 24 s in segments of 4 s');
  t.same(storyboardSegments(board(4, 4), fours(4)), [0, 1, 2, 3], 'a tile a segment');
  t.same(storyboardSegments(board(5, 4), [{ seconds: 4 }, { seconds: 4.1 }, { seconds: 3.9 }, { seconds: 4 }]), [0, 1, 2, 3], 'segments of uneven length: 5 s in the second, 10 in the third, 15 in the fourth');
  t.same(storyboardSegments(board(8, 4), fours(3, 2.5)), [0, 2], 'instants past the rung\'s end (24 s of 10.5) fall to its last segment');
  t.same(storyboardSegments(board(2, 6), fours(3)), [0, 1, 2], 'tiles 2 s apart: every segment, every frame decoded');
  t.same(storyboardSegments(board(30, 1), fours(3)), [0, 1, 2], 'one tile: the whole rung (its first picture)');
  t.ok(storyboardFromKeyframes(board(4, 100)) && !storyboardFromKeyframes(board(3, 100)) && !storyboardFromKeyframes(board(9, 1)));
  t.same(storyboardInput(board(6, 100)), ['-skip_frame', 'nokey']);
  t.same(storyboardInput(board(1, 60)), []);
});

/** A rung as a piece's job makes it (the plan's settings, keyframes every 4 s), of a test pattern that moves. */
async function rung(name: string, seconds: number): Promise<{ dir: string; segments: { file: string; seconds: number }[] }> {
  const source = path.join(scratch, `${name}-source.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=5:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', source]);
  const dir = path.join(scratch, name);
  await mkdir(dir);
  const probe = { width: 320, height: 180, hdr: false, bitDepth: 8 } as VideoProbe;
  execFileSync('ffmpeg', ['-v', 'error', '-i', source, ...pieceOutput(probe, planLadder(320, 180), { index: 0, start: 0, seconds: null }, [dir])]);
  const playlist = await readPiecePlaylist(path.join(dir, 'index.m3u8'));
  return { dir, segments: playlist.segments };
}

/** Init segment and the given segments in one file, as the storyboard job fetches them. */
async function joined(dir: string, files: string[], out: string): Promise<string> {
  await writeFile(out, Buffer.concat(await Promise.all(['init.mp4', ...files].map((f) => readFile(path.join(dir, f))))));
  return out;
}

/** Every frame's (or every keyframe's) time, and its picture at the tile's size as RGB. */
function frames(file: string, tile: StoryboardPlan, keyframes: boolean): { time: number; rgb: Buffer }[] {
  const listed = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time,key_frame', '-of', 'csv=p=0', file]).toString()
    .split('\n').filter(Boolean).map((l) => l.split(',')).map(([key, time]) => ({ key: key === '1', time: Number(time) })).filter((f) => !keyframes || f.key);
  const raw = execFileSync('ffmpeg', ['-v', 'error', ...(keyframes ? ['-skip_frame', 'nokey'] : []), '-i', file, '-vf', `scale=${tile.tileWidth}:${tile.tileHeight}`, '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'], { maxBuffer: 1 << 30 });
  const size = tile.tileWidth * tile.tileHeight * 3;
  if (raw.length !== listed.length * size) throw new Error(`${listed.length} frames listed, ${raw.length / size} decoded`);
  return listed.map((f, i) => ({ time: f.time, rgb: raw.subarray(i * size, (i + 1) * size) }));
}

async function tiles(png: string, tile: StoryboardPlan): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < tile.count; i++) {
    const region = { left: (i % tile.columns) * tile.tileWidth, top: Math.floor(i / tile.columns) * tile.tileHeight, width: tile.tileWidth, height: tile.tileHeight };
    out.push(await sharp(png).extract(region).removeAlpha().raw().toBuffer());
  }
  return out;
}

const difference = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;

/**
 * Each tile against the last picture at or before its instant, and against the one after it.
 * The instants count from the rung's first picture (x264's B-frames put it a frame or two in).
 */
function assertTiles(t: Test, got: Buffer[], pictures: { time: number; rgb: Buffer }[], tile: StoryboardPlan, label: string): void {
  let worst = 0;
  let closestOther = Infinity;
  const wrong: number[] = [];
  got.forEach((rgb, i) => {
    const at = pictures[0]!.time + i * tile.interval;
    const before = pictures.filter((p) => p.time <= at + 1e-6).at(-1)!;
    const after = pictures.find((p) => p.time > at + 1e-6);
    const d = difference(rgb, before.rgb);
    worst = Math.max(worst, d);
    if (after) closestOther = Math.min(closestOther, difference(rgb, after.rgb));
    if (d > 4) wrong.push(i);
  });
  t.same(wrong, [], `${label}: every tile is the picture at or before its instant (mean difference ≤ ${worst.toFixed(2)} of 255)`);
  t.ok(closestOther > 12, `${label}: and not the picture after it (mean difference ≥ ${closestOther.toFixed(2)})`);
}

t.test('a long video: one segment a tile, keyframes only, each tile the picture at the start of its segment', async (t) => {
  const { dir, segments } = await rung('long', 410);
  const tile = storyboardPlan({ width: 320, height: 180, durationMs: 410_000 } as VideoProbe);
  t.same([tile.interval, tile.count, tile.tileWidth, tile.tileHeight], [5, 82, 160, 90]);
  const picked = storyboardSegments(tile, segments);
  t.equal(picked.length, 82, `82 of the ${segments.length} segments read`);
  const file = await joined(dir, picked.map((i) => segments[i]!.file), path.join(scratch, 'long-picked.mp4'));
  const png = path.join(scratch, 'long.png');
  execFileSync('ffmpeg', ['-v', 'error', ...storyboardInput(tile), '-i', file, ...storyboardOutput(tile, png)]);
  const whole = await joined(dir, segments.map((s) => s.file), path.join(scratch, 'long-whole.mp4'));
  assertTiles(t, await tiles(png, tile), frames(whole, tile, true), tile, 'keyframes of 82 segments');
});

t.test('a short video: every frame of the rung decoded, each tile the picture at its instant', async (t) => {
  const { dir, segments } = await rung('short', 60);
  const tile = storyboardPlan({ width: 320, height: 180, durationMs: 60_000 } as VideoProbe);
  t.same([tile.interval, tile.count], [1, 60]);
  const picked = storyboardSegments(tile, segments);
  t.equal(picked.length, segments.length, 'every segment read');
  const file = await joined(dir, picked.map((i) => segments[i]!.file), path.join(scratch, 'short.mp4'));
  const png = path.join(scratch, 'short.png');
  execFileSync('ffmpeg', ['-v', 'error', ...storyboardInput(tile), '-i', file, ...storyboardOutput(tile, png)]);
  assertTiles(t, await tiles(png, tile), frames(file, tile, false), tile, 'every frame');
});
