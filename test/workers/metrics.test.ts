/**
 * A worker's own metrics (WORKER_METRICS_PORT): served to METRICS_TOKEN only, with each job's
 * duration by queue and name, and failures, final or not.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { createLogger } from '../../src/log.js';
import { startWorker } from '../../workers/run.js';
import { createTestContext, seedEvent } from '../helpers/context.js';
import { fixture, uploadOne } from '../helpers/originals.js';
import { settled } from '../helpers/workers.js';

const METRICS_TOKEN = 'worker-scraper-secret-0123456789abcdefghij';

t.test("a worker serves its jobs' durations and failures to the metrics token only", async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await seedEvent(ctx);
  const config = { ...ctx.config, metrics: { ...ctx.config.metrics, workerPort: 0 } };
  const worker = await startWorker(config, createLogger({ level: 'silent', name: 'worker' }), { db: ctx.db, storage: ctx.storage, redis: ctx.redis }, { queues: ctx.queues });
  t.teardown(() => worker.close());
  const url = `http://127.0.0.1:${worker.metricsPort}/metrics`;

  const good = await readFile(fixture('exif-orientation_1.jpg'));
  const ok = await uploadOne(ctx, 'exif-orientation_3.jpg');
  const broken = await uploadOne(ctx, 'truncated.jpg', good.subarray(0, good.length / 3));
  t.equal((await settled(ctx, ok.id)).status, 'ready');
  t.equal((await settled(ctx, broken.id)).status, 'failed');

  const anonymous = await fetch(url);
  t.equal(anonymous.status, 401);
  t.equal(((await anonymous.json()) as { code: string }).code, 'LAMHA_METRICS_UNAUTHORIZED');
  t.equal((await fetch(url, { headers: { authorization: `Bearer ${ctx.admin}` } })).status, 401, 'an admin token is not the metrics token');
  t.equal((await fetch(`http://127.0.0.1:${worker.metricsPort}/`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
  const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, /^lamha_job_duration_seconds_count\{queue="images",job_name="derive-image",outcome="completed"\} 1$/m, 'one photo processed');
  t.match(text, /^lamha_job_duration_seconds_count\{queue="images",job_name="derive-image",outcome="failed"\} 1$/m, 'and the failed run timed too');
  const sum = /^lamha_job_duration_seconds_sum\{queue="images",job_name="derive-image",outcome="completed"\} (\S+)$/m.exec(text)?.[1];
  t.ok(Number(sum) > 0 && Number(sum) < 60, `for some time (${sum} s)`);
  t.match(text, /^lamha_job_failures_total\{queue="images",job_name="derive-image",final="true"\} 1$/m, 'one failed for good');
  t.notMatch(text, new RegExp(`${ok.id}|${broken.id}`), 'no asset id in a label');
  t.match(text, /^process_resident_memory_bytes /m, 'process metrics');
});
