/**
 * A transcode's deadline scales with the video's duration, and a transcode that passes it
 * fails the asset at once instead of being retried as if the failure were transient.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { JOB_POLICY, transcodeDeadlineMs } from '../../src/queues/jobs.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { multipart } from '../helpers/multipart.js';
import { descendants, waitFor } from '../helpers/processes.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

t.test('the deadline is the factor times the duration, within the minimum and the maximum', async (t) => {
  const { transcodeDeadline } = loadConfig({});
  t.same(transcodeDeadline, { factor: 10, minMs: 600_000, maxMs: 72 * 3600_000 }, 'defaults');
  t.equal(transcodeDeadlineMs(1_060, transcodeDeadline), 600_000, 'a short clip gets the minimum');
  t.equal(transcodeDeadlineMs(null, transcodeDeadline), 600_000, 'a video of unknown length too');
  t.equal(transcodeDeadlineMs(2 * 3600_000, transcodeDeadline), 20 * 3600_000, 'a two-hour panel: 20 h');
  t.equal(transcodeDeadlineMs(6 * 3600_000, transcodeDeadline), 60 * 3600_000, 'the longest video accepted by default fits');
  t.equal(transcodeDeadlineMs(48 * 3600_000, transcodeDeadline), 72 * 3600_000, 'capped at the maximum');
  const custom = loadConfig({ TRANSCODE_DEADLINE_FACTOR: '3', TRANSCODE_DEADLINE_MIN_SECONDS: '60', TRANSCODE_DEADLINE_MAX_SECONDS: '7200' }).transcodeDeadline;
  t.equal(transcodeDeadlineMs(600_000, custom), 1_800_000);
  t.throws(() => loadConfig({ TRANSCODE_DEADLINE_MIN_SECONDS: '600', TRANSCODE_DEADLINE_MAX_SECONDS: '60' }), /TRANSCODE_DEADLINE_MAX_SECONDS must not be below/);
  t.throws(() => loadConfig({ TRANSCODE_DEADLINE_MAX_SECONDS: String(30 * 24 * 3600) }), /TRANSCODE_DEADLINE_MAX_SECONDS must be between 1 and 1728000/, 'no deadline a timer cannot hold');
  t.equal(JOB_POLICY['transcode-video'].retryAfterDeadline, false);
});

t.test('a transcode past its deadline is killed and the asset fails at once, without a retry', async (t) => {
  // an ffmpeg that answers fluent-ffmpeg's questions (-formats, -encoders) and never finishes a transcode
  const bin = await mkdtemp(path.join(os.tmpdir(), 'lamha-slow-ffmpeg-'));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  const slow = path.join(bin, 'ffmpeg');
  await writeFile(slow, '#!/bin/sh\ncase " $* " in *" -formats "*|*" -encoders "*) exec ffmpeg "$@";; esac\nexec sleep 600\n', { mode: 0o755 });
  const ctx = await createTestContext(t, { env: { FFMPEG_PATH: slow, TRANSCODE_DEADLINE_FACTOR: '0', TRANSCODE_DEADLINE_MIN_SECONDS: '3' } });
  await seedEvent(ctx);
  runWorkers(t, ctx, ['videos']);
  const form = multipart([{ name: 'file', filename: 'clip.mkv', body: await readFile(fixture('mkv_h264_aac.mkv')) }]);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(ctx.admin), ...form.headers }, payload: form.body });
  t.equal(res.statusCode, 201);
  const id = res.json().assets[0].id as string;
  const end = await settled(ctx, id);
  t.equal(end.status, 'failed');
  // the plan runs no ffmpeg (probes aside): the first encode is the poster's, the flow's first job
  t.match(end.error, /^the transcode passed its deadline of 3 s for the poster of a video of 0 s \(ffmpeg (timed out after \d+ ms and was|was aborted and) killed\)/);
  t.ok(await waitFor(async () => (await ctx.queues.queues.videos.getJobs(['failed'])).length === 2), 'its job failed, and the flow with it');
  const failed = await ctx.queues.queues.videos.getJobs(['failed']);
  t.same(failed.map((j) => [j.name, j.attemptsStarted]).sort(), [['finalize-video', 1], ['video-poster', 1]], 'not retried');
  t.same(descendants().filter((p) => /^(ffmpeg|sleep|prlimit|setpriv)$/.test(p.command)), [], 'no ffmpeg left running');
  t.same(await ctx.storage.list(`renditions/${id}/`), [], 'no rendition stored');
});
