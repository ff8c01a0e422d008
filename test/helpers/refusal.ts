/**
 * The bad-input suite's shared ground: an API storing into an S3 lane whose unfinished multipart
 * uploads the test can read, and the one check every refusal must pass — no row, no object, no
 * multipart upload left, no job queued.
 */
import type { Readable } from 'node:stream';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { createTestContext, seedEvent, type ContextOptions, type S3Kind, type TestContext } from './context.js';
import { multipart, type FormPart } from './multipart.js';
import { s3Lane, type S3Lane } from './s3.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Gallery {
  /** the context, its `app` and `storage` those of the lane */
  ctx: TestContext;
  lane: S3Lane;
  /** a photographer of the seeded event `conf` */
  photographer: string;
}

export const UPLOAD_URL = '/api/v1/events/conf/albums/day-1/assets';
export const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname;

/** The seeded event `conf` (album `day-1`, published) behind an API storing into an S3 lane of its own. */
export async function gallery(t: Teardown, s3: S3Kind, options: Omit<ContextOptions, 's3'> = {}): Promise<Gallery> {
  const base = await createTestContext(t, { ...options, s3 });
  // S3's smallest part: files above it go up as multipart uploads the lane can see left behind
  const lane = await s3Lane(t, s3, { partSize: 5 * 1024 * 1024 });
  const app = await buildApp(base.config, { deps: { db: base.db, redis: base.redis, storage: lane.storage, queues: base.queues } });
  t.teardown(() => app.close());
  const ctx: TestContext = { ...base, app, storage: lane.storage };
  await seedEvent(ctx);
  return { ctx, lane, photographer: await ctx.mint('photographer', 'conf') };
}

export interface Answer {
  statusCode: number;
  json: any;
  headers: Record<string, unknown>;
}

/** POSTs multipart parts to the album's upload route (or `url`) with the given headers. */
export async function postParts(g: Gallery, parts: FormPart[], headers: Record<string, string> = g.ctx.auth(g.photographer), url = UPLOAD_URL): Promise<Answer> {
  const form = multipart(parts);
  const res = await g.ctx.app.inject({ method: 'POST', url, headers: { ...headers, ...form.headers }, payload: form.body as Readable });
  let json: any;
  try {
    json = res.json();
  } catch {
    json = res.body;
  }
  return { statusCode: res.statusCode, json, headers: res.headers };
}

export interface Leftovers {
  assets: number;
  renditions: number;
  objects: string[];
  incomplete: string[];
  jobs: Record<string, number>;
}

/** What a request may have left: asset and rendition rows, objects, unfinished multipart uploads, jobs. */
export async function leftovers(g: Gallery): Promise<Leftovers> {
  const count = async (table: string) => (await g.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  const jobs: Record<string, number> = {};
  for (const [name, queue] of Object.entries(g.ctx.queues.queues)) {
    jobs[name] = Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  }
  return {
    assets: await count('assets'),
    renditions: await count('renditions'),
    objects: (await g.lane.storage.list('')).sort(),
    incomplete: await g.lane.incomplete(),
    jobs,
  };
}

/** Nothing at all: the state every refusal must leave in a gallery with no asset before it. */
export function nothing(g: Gallery): Leftovers {
  return { assets: 0, renditions: 0, objects: [], incomplete: [], jobs: Object.fromEntries(Object.keys(g.ctx.queues.queues).map((q) => [q, 0])) };
}

interface Asserts {
  equal(found: unknown, wanted: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
}

/**
 * Asserts a refusal: the status, the exact `LAMHA_` code in the error body, and that nothing was
 * stored, left half-uploaded or queued. The gallery must hold no asset before the call.
 */
export async function assertRefused(t: Asserts, g: Gallery, what: string, res: Answer, statusCode: number, code: string): Promise<void> {
  t.equal(res.statusCode, statusCode, `${what}: status ${statusCode} (${JSON.stringify(res.json)})`);
  t.equal(res.json?.code, code, `${what}: code ${code}`);
  t.equal(res.json?.statusCode, statusCode, `${what}: the body names the status`);
  t.same(await leftovers(g), nothing(g), `${what}: no row, no object, no multipart upload, no job`);
}

/** One input the upload must refuse, with the answer it must get. */
export interface Refusal {
  what: string;
  part: () => Promise<FormPart>;
  status: number;
  code: string;
  env?: Record<string, string>;
  /** the asset's error text when the worker refuses it: the message of `code` */
  error?: RegExp;
}

/** One test per refusal, each with an API of its own (the input's env) on the `s3` lane. */
export function testRefusals(t: Test, s3: S3Kind, refusals: readonly Refusal[]): void {
  for (const c of refusals) {
    t.test(`refuses ${c.what} with ${c.status} ${c.code} and stores nothing`, async (t) => {
      const g = await gallery(t, s3, c.env ? { env: c.env } : {});
      await assertRefused(t, g, c.what, await postParts(g, [await c.part()]), c.status, c.code);
    });
  }
}
