/**
 * VIDEO_MAX_SECONDS and VIDEO_MAX_PIXELS at upload: a video whose headers show it over a limit
 * gets 422 and leaves nothing stored, whether the head says so (MP4 with its moov first,
 * Matroska) or the end of the stored file does (MP4 with its moov last, MPEG-TS, AVI).
 * Long but tiny clips: a test pattern at one frame a second.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { clip } from '../helpers/clips.js';
import { createTestContext, s3Kinds, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { incompleteUploads } from '../helpers/s3.js';

const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

const clips: Record<string, string> = {};

t.before(async () => {
  // 20 minutes at 1 fps, ≈10 MB: more than one 5 MiB part, and far more than the 256 KiB head
  clips.mp4Last = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=1', '-t', '1200', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '600']);
  clips.mp4First = await clip(['-i', clips.mp4Last, '-c', 'copy', '-movflags', '+faststart']);
  clips.mkv = await clip(['-i', clips.mp4Last, '-c', 'copy'], 'mkv');
  clips.ts = await clip(['-i', clips.mp4Last, '-c', 'copy'], 'ts');
  clips.avi = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=1', '-t', '1200', '-c:v', 'mpeg4', '-q:v', '10'], 'avi');
  // a 1280×720 frame, 40 s: moov last and well beyond the head
  clips.wideLast = await clip(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=1', '-t', '40', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  clips.wideFirst = await clip(['-i', clips.wideLast, '-c', 'copy', '-movflags', '+faststart']);
});

async function upload(ctx: TestContext, file: string) {
  const form = multipart([{ name: 'file', filename: path.basename(file), body: createReadStream(file) }]);
  return ctx.app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
}

async function leftovers(ctx: TestContext, s3: string) {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  return { objects: await ctx.storage.list(''), rows: rows[0]!.n, incomplete: s3 === 'rgw' ? (await incompleteUploads(ctx.storage)).length : 0 };
}

t.test('the clips are what the tests take them for', async (t) => {
  const data = await readFile(clips.mp4Last!);
  t.ok(data.indexOf('moov') > 256 * 1024, 'moov after the head');
  t.ok((await readFile(clips.mp4First!)).indexOf('moov') < 1024, 'moov first');
  t.ok(data.length > 8 * 1024 * 1024, 'more than one S3 part');
  t.ok((await readFile(clips.wideLast!)).indexOf('moov') > 256 * 1024, 'wide clip: moov after the head');
});

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    t.test('a video longer than VIDEO_MAX_SECONDS gets 422 LAMHA_VIDEO_TOO_LONG and nothing is stored', async (t) => {
      const ctx = await createTestContext(t, { s3, env: { VIDEO_MAX_SECONDS: '600' } });
      await seedEvent(ctx);
      for (const name of ['mp4First', 'mp4Last', 'mkv', 'ts', 'avi']) {
        const res = await upload(ctx, clips[name]!);
        t.equal(res.statusCode, 422, `${name}: ${res.body}`);
        t.equal(res.json().code, 'LAMHA_VIDEO_TOO_LONG', name);
        t.match(res.json().message, /lasts 1200 s, longer than the limit of 600 s/, name);
        t.same(await leftovers(ctx, s3), { objects: [], rows: 0, incomplete: 0 }, `${name}: no object, row or multipart upload left`);
      }
    });

    t.test('the same videos within the limit are accepted', async (t) => {
      const ctx = await createTestContext(t, { s3, env: { VIDEO_MAX_SECONDS: '1300' } });
      await seedEvent(ctx);
      for (const name of ['mp4First', 'mp4Last', 'mkv', 'ts', 'avi']) {
        const res = await upload(ctx, clips[name]!);
        t.equal(res.statusCode, 201, `${name}: ${res.body}`);
      }
      t.equal((await leftovers(ctx, s3)).objects.length, 5);
    });

    t.test('a frame larger than VIDEO_MAX_PIXELS gets 422 LAMHA_VIDEO_TOO_LARGE, moov first or last', async (t) => {
      const ctx = await createTestContext(t, { s3, env: { VIDEO_MAX_PIXELS: String(640 * 480) } });
      await seedEvent(ctx);
      for (const name of ['wideFirst', 'wideLast']) {
        const res = await upload(ctx, clips[name]!);
        t.equal(res.statusCode, 422, `${name}: ${res.body}`);
        t.equal(res.json().code, 'LAMHA_VIDEO_TOO_LARGE', name);
        t.match(res.json().message, /1280×720 pixels, more than the limit of 307200/, name);
      }
      t.same(await leftovers(ctx, s3), { objects: [], rows: 0, incomplete: 0 });
      t.equal((await upload(ctx, clips.mkv!)).statusCode, 201, 'a 320×240 video passes');
    });
  });
}
