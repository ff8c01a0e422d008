/**
 * Everything a refused request must leave as it was, read from the real servers: every row
 * (but a token's last use, which any authenticated request records), every object in the
 * bucket, the queued jobs and the gallery's change versions.
 */
import type { TestContext } from './context.js';

const TABLES = ['events', 'albums', 'assets', 'renditions', 'subtitles', 'tokens'] as const;

export interface State {
  rows: Record<string, unknown[]>;
  objects: string[];
  jobs: Record<string, number>;
  versions: Record<string, string>;
}

export async function stateOf(ctx: TestContext): Promise<State> {
  const rows: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const { rows: r } = await ctx.db.query<{ row: unknown }>(`SELECT to_jsonb(x) - 'last_used_at' AS row FROM ${table} x ORDER BY (to_jsonb(x) - 'last_used_at')::text`);
    rows[table] = r.map((x) => x.row);
  }
  const jobs: Record<string, number> = {};
  for (const [name, queue] of Object.entries(ctx.queues.queues)) {
    jobs[name] = Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  }
  const versions: Record<string, string> = { site: await ctx.app.services.changes.version('site') };
  for (const { id } of rows.events as { id: string }[]) versions[id] = await ctx.app.services.changes.version(id);
  return { rows, objects: (await ctx.storage.list('')).sort(), jobs, versions };
}

/**
 * Runs `call` and, when it is answered with a 4xx, asserts that nothing changed. Answers the
 * response for the caller's own checks.
 */
export async function unchangedIfRefused<R extends { statusCode: number }>(
  t: { same(found: unknown, wanted: unknown, message: string): unknown },
  ctx: TestContext,
  what: string,
  call: () => Promise<R>,
): Promise<R> {
  const before = await stateOf(ctx);
  const res = await call();
  if (res.statusCode >= 400 && res.statusCode < 500) t.same(await stateOf(ctx), before, `${what}: refused (${res.statusCode}), nothing changed`);
  return res;
}
