import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t, { type Test } from 'tap';
import { createDb, ensureDatabase, migrate, quoteIdent, withDefaultUser, type Db } from '../../src/db/database.js';
import { DATABASE_URL, testDb } from '../helpers/context.js';

const INITIAL = '1700000000000_initial';
/** Every migration the project ships, in order. */
const ALL = readdirSync(new URL('../../src/db/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();

function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A schema name nobody has used; dropped at teardown if a migration created it. */
async function freshSchema(t: Teardown): Promise<{ schema: string; admin: Db }> {
  await ensureDatabase(DATABASE_URL);
  const schema = uniqueName('m_');
  const admin = createDb({ url: DATABASE_URL, max: 1 });
  t.teardown(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });
  return { schema, admin };
}

async function pgCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

t.test('migrate applies every migration to a fresh schema, then nothing the second time', async (t) => {
  const { schema, admin } = await freshSchema(t);
  t.same(await migrate(DATABASE_URL, schema), ALL);
  const { rows: tables } = await admin.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema],
  );
  t.same(tables.map((r) => r.table_name), ['albums', 'assets', 'audit_log', 'events', 'gallery_versions', 'pgmigrations', 'renditions', 'resumable_uploads', 'share_links', 'subtitles', 'tokens', 'video_parts', 'video_plans']);
  t.same(await migrate(DATABASE_URL, schema), []);
  const { rows } = await admin.query(`SELECT name FROM ${quoteIdent(schema)}.pgmigrations`);
  t.same(rows, ALL.map((name) => ({ name })));
});

t.test('two processes migrating the same fresh schema at once both succeed and apply it once', async (t) => {
  const { schema, admin } = await freshSchema(t);
  const results = await Promise.all([migrate(DATABASE_URL, schema), migrate(DATABASE_URL, schema)]);
  t.same(results.flat(), ALL, 'one of them applied them, the other found nothing to do');
  const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.pgmigrations WHERE name = $1`, [INITIAL]);
  t.equal(rows[0]!.n, 1);
});

/** A database name no one uses yet, its URL, and a query on the server's `postgres` database; it is dropped when `t` ends. */
function missingDatabase(t: Test, prefix: string): { name: string; url: URL; onServer: (sql: string, values?: unknown[]) => Promise<pg.QueryResult> } {
  const name = uniqueName(prefix);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  const postgresUrl = new URL(withDefaultUser(DATABASE_URL));
  postgresUrl.pathname = '/postgres';
  const onServer = async (sql: string, values: unknown[] = []) => {
    const c = new pg.Client({ connectionString: postgresUrl.toString() });
    await c.connect();
    try {
      return await c.query(sql, values);
    } finally {
      await c.end();
    }
  };
  t.teardown(() => onServer(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  return { name, url, onServer };
}

t.test('ensureDatabase creates a missing database and leaves an existing one alone', async (t) => {
  const { name, url, onServer } = missingDatabase(t, 'lamha_ensure_');
  const exists = async () => (await onServer('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

  t.equal(await exists(), false);
  await ensureDatabase(url.toString());
  t.equal(await exists(), true, 'created');

  const db = createDb({ url: url.toString(), max: 1 });
  await db.query('CREATE TABLE marker (x int)');
  await db.query('INSERT INTO marker VALUES (42)');
  await db.end();
  await ensureDatabase(url.toString());
  const again = createDb({ url: url.toString(), max: 1 });
  t.same((await again.query('SELECT x FROM marker')).rows, [{ x: 42 }], 'the existing database and its data are untouched');
  await again.end();
});

t.test('ensureDatabase called by many processes at once for a missing database: one creates it, none fails', async (t) => {
  const { name, url } = missingDatabase(t, 'lamha_race_');
  // as on a fresh machine, where the test files (or an API and a worker) start together
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => ensureDatabase(url.toString())));
  t.same(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], 'every call resolved');
  const db = createDb({ url: url.toString(), max: 1 });
  t.same((await db.query('SELECT current_database() AS name')).rows, [{ name }]);
  await db.end();
});

t.test('constraints keep the data honest', async (t) => {
  const { db } = await testDb(t);
  const event = async (slug: string): Promise<string> =>
    (await db.query<{ id: string }>(
      `INSERT INTO events (slug, title, starts_on, ends_on, locales, default_locale)
       VALUES ($1, '{"en": "E"}', '2026-12-01', '2026-12-02', '{en}', 'en') RETURNING id`, [slug],
    )).rows[0]!.id;
  const album = async (eventId: string, slug: string): Promise<string> =>
    (await db.query<{ id: string }>(`INSERT INTO albums (event_id, slug, title) VALUES ($1, $2, '{"en": "A"}') RETURNING id`, [eventId, slug])).rows[0]!.id;
  const asset = async (eventId: string, albumId: string, sha: Buffer): Promise<string> =>
    (await db.query<{ id: string }>(
      `INSERT INTO assets (id, event_id, album_id, kind, mime_type, bytes, sha256, original_filename)
       VALUES (gen_random_uuid(), $1, $2, 'image', 'image/jpeg', 10, $3, 'a.jpg') RETURNING id`, [eventId, albumId, sha],
    )).rows[0]!.id;
  const sha = (n: number) => Buffer.alloc(32, n);

  t.test('a duplicate event slug is rejected', async (t) => {
    await event('dup-event');
    t.equal(await pgCode(event('dup-event')), '23505');
  });

  t.test('an album slug is unique within its event but may repeat across events', async (t) => {
    const a = await event('albums-a');
    const b = await event('albums-b');
    await album(a, 'day-1');
    t.equal(await pgCode(album(a, 'day-1')), '23505');
    t.equal(await pgCode(album(b, 'day-1')), undefined, 'the same slug in another event is fine');
  });

  t.test('the same bytes twice in one event are rejected, in another event allowed', async (t) => {
    const a = await event('sha-a');
    const b = await event('sha-b');
    const albumA = await album(a, 'day-1');
    const albumB = await album(b, 'day-1');
    await asset(a, albumA, sha(1));
    t.equal(await pgCode(asset(a, albumA, sha(1))), '23505');
    t.equal(await pgCode(asset(b, albumB, sha(1))), undefined);
  });

  t.test('an event that still has assets cannot be deleted; without them it can', async (t) => {
    const e = await event('restrict');
    const al = await album(e, 'day-1');
    const id = await asset(e, al, sha(2));
    t.equal(await pgCode(db.query('DELETE FROM events WHERE id = $1', [e])), '23503');
    t.equal((await db.query('SELECT 1 FROM assets WHERE id = $1', [id])).rowCount, 1, 'the asset is still there');
    await db.query('DELETE FROM assets WHERE id = $1', [id]);
    t.equal((await db.query('DELETE FROM events WHERE id = $1', [e])).rowCount, 1);
    t.equal((await db.query('SELECT 1 FROM albums WHERE id = $1', [al])).rowCount, 0, 'its albums went with it');
  });

  t.test('deleting an asset deletes its renditions', async (t) => {
    const e = await event('cascade');
    const al = await album(e, 'day-1');
    const id = await asset(e, al, sha(3));
    const other = await asset(e, al, sha(4));
    for (const [assetId, name] of [[id, 'thumb.webp'], [id, 'hls/master.m3u8'], [other, 'thumb.webp']] as const) {
      await db.query(`INSERT INTO renditions (asset_id, name, key, bytes, type) VALUES ($1, $2, $3, 1, 'image/webp')`, [assetId, name, `renditions/${assetId}/${name}`]);
    }
    await db.query('DELETE FROM assets WHERE id = $1', [id]);
    const { rows } = await db.query<{ asset_id: string }>('SELECT asset_id FROM renditions');
    t.same(rows, [{ asset_id: other }], 'only the other asset\'s rendition is left');
  });

  t.test('only an admin token may span every event', async (t) => {
    const insert = (role: string, eventId: string | null) =>
      db.query('INSERT INTO tokens (token_hash, role, event_id, label) VALUES ($1, $2, $3, $4)', [randomBytes(32), role, eventId, role]);
    for (const role of ['editor', 'photographer', 'press']) t.equal(await pgCode(insert(role, null)), '23514', `${role} without event`);
    t.equal(await pgCode(insert('admin', null)), undefined, 'admin without event');
    t.equal(await pgCode(insert('editor', await event('tokens'))), undefined, 'editor bound to an event');
  });
});
