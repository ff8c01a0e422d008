/**
 * Error codes of src/errors.ts that no other route test reaches, each through the public API
 * as a client meets it: status, code and message, and nothing left behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';

const UPLOAD_PATH = '/api/v1/events/conf/albums/day-1/assets';

const scratch = await mkdtemp(path.join(os.tmpdir(), 'lamha-error-codes-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));

// A small MP4 written without +faststart: its moov (the index every reader needs) comes last.
const clip = path.join(scratch, 'clip.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
const whole = await readFile(clip);

async function upload(ctx: TestContext, filename: string, body: Buffer) {
  const form = multipart([{ name: 'file', filename, body }]);
  return ctx.app.inject({ method: 'POST', url: UPLOAD_PATH, headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
}

async function leftovers(ctx: TestContext) {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets');
  return { objects: await ctx.storage.list(''), rows: rows[0]!.n };
}

t.test('an MP4 cut before its moov gets 422 LAMHA_UNDECODABLE at upload, and nothing is stored', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  t.ok(whole.length < 256 * 1024, `the clip (${whole.length} bytes) fits in the head the upload reads first`);
  const moov = whole.indexOf('moov');
  t.ok(moov > whole.indexOf('mdat'), 'moov after the media data');
  // the ftyp box says MP4 from the first bytes on: the type check lets it through
  const cut = whole.subarray(0, moov - 4);

  const res = await upload(ctx, 'cut.mp4', cut);
  t.equal(res.statusCode, 422, res.body);
  t.match(res.json(), {
    statusCode: 422,
    code: 'LAMHA_UNDECODABLE',
    error: 'Unprocessable Entity',
    message: /^The file cannot be decoded: the video cannot be read: .*moov atom not found/,
  });
  t.notMatch(res.json().message, /lamha-extent-|\/tmp\//, 'the message does not say where the upload was spooled');
  t.same(await leftovers(ctx), { objects: [], rows: 0 }, 'no object and no row');

  // control: the same clip whole is taken, so it is the cut that was refused
  const ok = await upload(ctx, 'whole.mp4', whole);
  t.equal(ok.statusCode, 201, ok.body);
  t.equal((await leftovers(ctx)).rows, 1);
});

t.test('a cut MP4 longer than the head is left to the worker: its end is not known at upload', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  // the moov of a cut file that does not fit in the head is beyond it, so nothing is judged yet
  const padded = Buffer.concat([whole.subarray(0, whole.indexOf('moov') - 4), Buffer.alloc(300 * 1024)]);
  const res = await upload(ctx, 'long-cut.mp4', padded);
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().assets[0].status, 'processing');
});
