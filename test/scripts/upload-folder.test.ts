/**
 * scripts/upload-folder.ts, the command-line uploader the README shows: a folder's files (hidden
 * ones left out) become assets over tus; run again, the same files are recognised as already
 * there; a refused file is reported and fails the run.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { createTestContext, s3Kinds, seedEvent } from '../helpers/context.js';
import { freePort } from '../helpers/processes.js';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

t.test('uploads a folder over tus and reports each file', async (t) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ctx = await createTestContext(t, { s3: s3Kinds()[0], env: { PUBLIC_URL: url } });
  await ctx.app.listen({ port, host: '127.0.0.1' });
  await seedEvent(ctx);
  const token = await ctx.mint('photographer', 'conf');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-folder-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'day1'));
  await copyFile(fixture('exif-orientation_1.jpg'), path.join(dir, 'day1', 'a.jpg'));
  await copyFile(fixture('png_rgba_alpha.png'), path.join(dir, 'b.png'));
  await writeFile(path.join(dir, '.DS_Store'), 'finder junk');

  const args = ['tsx', 'scripts/upload-folder.ts', '--url', url, '--event', 'conf', '--album', 'day-1', '--state', path.join(dir, '.state.json'), dir];
  const env = { ...process.env, LAMHA_TOKEN: token };
  const first = await run('npx', args, { env });
  const lines = first.stdout.trim().split('\n');
  t.equal(lines.length, 2, first.stdout);
  t.match(lines.join('\n'), /b\.png\t[0-9a-f-]{36}\n.*a\.jpg\t[0-9a-f-]{36}|a\.jpg\t[0-9a-f-]{36}\n.*b\.png\t[0-9a-f-]{36}/);
  const { rows } = await ctx.db.query<{ original_filename: string }>('SELECT original_filename FROM assets ORDER BY original_filename');
  t.same(rows.map((r) => r.original_filename), ['a.jpg', 'b.png'], 'both files are assets; the hidden file is left out');

  const again = await run('npx', args, { env });
  t.equal((again.stdout.match(/already there/g) ?? []).length, 2, 'a second run finds both already there');

  await writeFile(path.join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  const refused = await run('npx', args, { env }).catch((err: { code: number; stdout: string }) => err);
  t.equal((refused as { code: number }).code, 1, 'a refused file fails the run');
  t.match((refused as { stdout: string }).stdout, /logo\.svg\tFAILED: .*not accept/);
});
