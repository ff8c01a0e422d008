/**
 * A real gallery for the browser tests: the API listening on a free loopback port (PUBLIC_URL is
 * that address, so rendition URLs resolve in the browser), the real queue workers, and an
 * Arabic-default published event seeded through the HTTP API.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { testClip } from '../helpers/clips.js';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { multipart, type FormPart } from '../helpers/multipart.js';
import { freePort } from '../helpers/processes.js';
import { runWorkers, settled } from '../helpers/workers.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Gallery {
  ctx: TestContext;
  /** http://127.0.0.1:PORT */
  url: string;
  /** uploads one file to conf/day-1 (or another album of conf) with an Arabic caption and credit; answers the asset id */
  upload(file: string, fields?: { caption?: string; locale?: string; credit?: string }, album?: string): Promise<string>;
  /** creates and publishes another album of conf */
  album(slug: string): Promise<void>;
  /** waits until the asset is ready (fails the test otherwise) */
  ready(id: string): Promise<void>;
  /** stores a subtitle track for a video */
  subtitles(id: string, locale: string, vtt: string): Promise<void>;
}

/**
 * The app listening on a port its PUBLIC_URL names. The URL is part of the configuration the app
 * is built with, so the port is picked before it is bound: should another process take it in
 * between, the next attempt picks another.
 */
async function listeningContext(t: Teardown): Promise<{ ctx: TestContext; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const ctx = await createTestContext(t, { env: { PUBLIC_URL: url } });
    try {
      await ctx.app.listen({ port, host: '127.0.0.1' });
      return { ctx, url };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw err;
    }
  }
}

export async function startGallery(t: Teardown): Promise<Gallery> {
  const { ctx, url } = await listeningContext(t);
  await seedEvent(ctx); // conf / day-1, locales ar, en, ku, default ar, published
  runWorkers(t, ctx, ['images', 'videos']);
  const headers = ctx.auth(ctx.admin);

  return {
    ctx,
    url,
    async upload(file, fields = {}, album = 'day-1') {
      const parts: FormPart[] = [];
      for (const [name, value] of Object.entries({ locale: 'ar', ...fields })) if (value !== undefined) parts.push({ name, body: value });
      parts.push({ name: 'file', filename: path.basename(file), body: await readFile(file) });
      const form = multipart(parts);
      const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/events/conf/albums/${album}/assets`, headers: { ...headers, ...form.headers }, payload: form.body });
      if (res.statusCode !== 201) throw new Error(`upload ${file}: ${res.statusCode} ${res.body}`);
      return res.json().assets[0].id as string;
    },
    async album(slug) {
      const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/events/conf/albums', headers, payload: { slug, title: { ar: slug, en: slug } } });
      if (created.statusCode !== 201) throw new Error(`album ${slug}: ${created.statusCode} ${created.body}`);
      const published = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/events/conf/albums/${slug}`, headers, payload: { status: 'published' } });
      if (published.statusCode !== 200) throw new Error(`publish ${slug}: ${published.statusCode} ${published.body}`);
    },
    async ready(id) {
      const end = await settled(ctx, id, 180_000);
      if (end.status !== 'ready') throw new Error(`asset ${id} ended ${end.status}: ${end.error}`);
    },
    async subtitles(id, locale, vtt) {
      const res = await ctx.app.inject({ method: 'PUT', url: `/api/v1/assets/${id}/subtitles/${locale}`, headers: { ...headers, 'content-type': 'text/vtt' }, payload: vtt });
      if (res.statusCode >= 300) throw new Error(`subtitles ${locale}: ${res.statusCode} ${res.body}`);
    },
  };
}

/** An H.264/AAC clip made by ffmpeg from its test sources, long enough to watch it play. */
export function makeClip(seconds = 8): Promise<string> {
  return testClip({ width: 640, height: 360, fps: 25, seconds });
}
