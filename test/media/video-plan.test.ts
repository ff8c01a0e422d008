/**
 * The x264 settings of each HLS rung: every rung is encoded with its own preset, CRF and cap,
 * whether it is a piece's job (pieceOutput) or one of several outputs of one ffmpeg (hlsOutput).
 * Pure argument building; bench/video-encoders measures what the settings give.
 */
import t from 'tap';
import type { VideoProbe } from '../../src/media/ffmpeg.js';
import { audioOutput, copiesAudio, hlsOutput, pieceOutput, planLadder, x264Args } from '../../src/media/video-plan.js';

const probe: VideoProbe = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2', durationMs: 600_000, width: 1920, height: 1080, rotation: 0, videoCodec: 'h264',
  pixelFormat: 'yuv420p', bitDepth: 8, hdr: false, frameRate: 30, hasAudio: true, audioCodec: 'aac', creationTime: null, location: null,
};

/** The value that follows `option` in `args`, or undefined. */
function valueOf(args: string[], option: string): string | undefined {
  const i = args.indexOf(option);
  return i < 0 ? undefined : args[i + 1];
}

t.test('a 1080p ladder has the settings chosen by bench/video-encoders, rung by rung', async (t) => {
  t.same(planLadder(1920, 1080).map((r) => [r.name, r.preset, r.crf, r.x264Params, r.maxrateK]), [
    ['360p', 'veryfast', 22, 'bframes=16', 900],
    ['720p', 'superfast', 23, 'mbtree=1:rc-lookahead=10', 3000],
    ['1080p', 'superfast', 23, 'mbtree=1:rc-lookahead=10', 6000],
  ]);
});

t.test('a portrait phone video gets the same settings for the same rung', async (t) => {
  const landscape = planLadder(1920, 1080);
  const portrait = planLadder(1080, 1920);
  t.same(portrait.map((r) => [r.width, r.height]), [[360, 640], [720, 1280], [1080, 1920]]);
  t.same(portrait.map((r) => [r.name, r.preset, r.crf, r.maxrateK]), landscape.map((r) => [r.name, r.preset, r.crf, r.maxrateK]));
});

t.test("x264Args carries a rung's preset, CRF and cap (a buffer of two seconds at the cap)", async (t) => {
  const args = x264Args({ preset: 'veryfast', crf: 25, maxrateK: 1234, x264Params: 'bframes=16' });
  t.equal(valueOf(args, '-c:v'), 'libx264');
  t.equal(valueOf(args, '-preset:v'), 'veryfast');
  t.equal(valueOf(args, '-crf:v'), '25');
  t.equal(valueOf(args, '-maxrate:v'), '1234k');
  t.equal(valueOf(args, '-bufsize:v'), '2468k');
  t.equal(valueOf(args, '-x264-params:v'), 'bframes=16');
  t.equal(valueOf(args, '-udu_sei:v'), '0', 'SEI user data of the source is never written');
  t.notOk(x264Args({ preset: 'superfast', crf: 23, maxrateK: 900 }).some((a) => a.startsWith('-x264-params')), 'no x264 options when the rung has none');
  const second = x264Args({ preset: 'faster', crf: 21, maxrateK: 900 }, 1);
  t.equal(valueOf(second, '-preset:v:1'), 'faster', 'with a stream index, options name that output stream');
  t.equal(valueOf(second, '-crf:v:1'), '21');
  t.equal(valueOf(second, '-maxrate:v:1'), '900k');
});

t.test("a piece's job encodes each of its rungs with that rung's settings", async (t) => {
  for (const rung of planLadder(1920, 1080)) {
    const args = pieceOutput(probe, [rung], { index: 0, start: 0, seconds: 120 }, ['/tmp/x']);
    t.equal(valueOf(args, '-preset:v'), rung.preset, rung.name);
    t.equal(valueOf(args, '-crf:v'), String(rung.crf), rung.name);
    t.equal(valueOf(args, '-maxrate:v'), `${rung.maxrateK}k`, rung.name);
    t.equal(valueOf(args, '-x264-params:v'), rung.x264Params, rung.name);
    t.ok(args.includes('-force_key_frames') && args.includes('-sc_threshold'), 'keyframes at the segment boundaries');
  }
  // several rungs from one decode: one output each, every output with its own rung's settings
  const rungs = planLadder(1920, 1080).slice(1).map((r, i) => ({ ...r, crf: 20 + i }));
  const args = pieceOutput(probe, rungs, { index: 1, start: 120, seconds: 120 }, ['/tmp/a', '/tmp/b']);
  rungs.forEach((r, i) => {
    const from = args.indexOf(`[v${i}]`);
    const output = args.slice(from, args.indexOf('-map', from + 1) === -1 ? undefined : args.indexOf('-map', from + 1));
    t.equal(valueOf(output, '-crf:v'), String(r.crf), `${r.name}: its CRF`);
    t.equal(valueOf(output, '-maxrate:v'), `${r.maxrateK}k`, `${r.name}: its cap`);
    t.equal(valueOf(output, '-t'), '120', `${r.name}: the piece's length`);
    t.equal(output.at(-1), `${['/tmp/a', '/tmp/b'][i]}/index.m3u8`, `${r.name}: into its own directory`);
  });
  t.throws(() => pieceOutput(probe, rungs, { index: 0, start: 0, seconds: 120 }, ['/tmp/a']), RangeError, 'one directory per rung');
});

t.test('one ffmpeg making the whole ladder gives each output stream its own rung\'s settings', async (t) => {
  const rungs = planLadder(1920, 1080).map((r, i) => ({ ...r, crf: 20 + i }));
  const args = hlsOutput(probe, rungs, '/tmp/x');
  rungs.forEach((r, i) => {
    t.equal(valueOf(args, `-preset:v:${i}`), r.preset, r.name);
    t.equal(valueOf(args, `-crf:v:${i}`), String(r.crf), r.name);
    t.equal(valueOf(args, `-maxrate:v:${i}`), `${r.maxrateK}k`, r.name);
    t.equal(valueOf(args, `-x264-params:v:${i}`), r.x264Params, r.name);
  });
});

t.test("the source's AAC is copied into the audio rendition when it is LC, mono or stereo, and at most 160 kbit/s; anything else is encoded", async (t) => {
  const stereo = { profile: 'LC', channels: 2, kbps: 130 };
  const cases: [string, Pick<VideoProbe, 'audioCodec' | 'audioStream'>, boolean][] = [
    ['an action camera\'s stereo AAC at 130 kbit/s', { audioCodec: 'aac', audioStream: stereo }, true],
    ['a phone\'s mono AAC at 86 kbit/s', { audioCodec: 'aac', audioStream: { profile: 'LC', channels: 1, kbps: 86 } }, true],
    ['stereo AAC at 160 kbit/s', { audioCodec: 'aac', audioStream: { ...stereo, kbps: 160 } }, true],
    ['stereo AAC at 161 kbit/s', { audioCodec: 'aac', audioStream: { ...stereo, kbps: 161 } }, false],
    ['AAC whose rate the container does not state', { audioCodec: 'aac', audioStream: { ...stereo, kbps: null } }, false],
    ['HE-AAC', { audioCodec: 'aac', audioStream: { ...stereo, profile: 'HE-AAC' } }, false],
    ['5.1 AAC', { audioCodec: 'aac', audioStream: { ...stereo, channels: 6 } }, false],
    ['AC-3', { audioCodec: 'ac3', audioStream: stereo }, false],
    ['a plan stored before the stream was read', { audioCodec: 'aac' }, false],
  ];
  for (const [what, probe, copies] of cases) {
    t.equal(copiesAudio(probe), copies, what);
    const args = audioOutput(probe, '/tmp/a');
    t.equal(valueOf(args, '-c:a'), copies ? 'copy' : 'aac', `${what}: -c:a`);
    t.equal(valueOf(args, '-b:a'), copies ? undefined : '128k', `${what}: -b:a`);
    t.ok(args.includes('-map_metadata'), `${what}: no metadata either way`);
  }
});
