/**
 * Upgrades: a database holding the previous release's data, migrated to this release, keeps
 * every row, and the app reads them. The data is SQL written for the previous release's schema
 * (test/fixtures/upgrade/<PREVIOUS_RELEASE>.sql); the checks compare every table generically, so
 * a new migration is tested by this file without changing it.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createDb, ensureDatabase, migrate, quoteIdent, type Db } from '../../src/db/database.js';
import { buildTestApp, DATABASE_URL, testStorage } from '../helpers/context.js';

/**
 * The last migration of the previous release. Releasing moves it to this release's last
 * migration, with a fixture of that name (the previous one extended with the new tables).
 */
export const PREVIOUS_RELEASE = '1700000000017_audit_log';
const ADMIN = 'lamha_upgradeFixtureAdminToken0000000000000000000';
const ALL = readdirSync(new URL('../../src/db/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();

type Rows = Map<string, Map<string, Record<string, unknown>>>;

/** Every row of every table of the schema (but the migrations' own), keyed by table and primary key. */
async function snapshot(db: Db, schema: string): Promise<Rows> {
  const { rows: tables } = await db.query<{ name: string; pk: string[] }>(
    `SELECT c.relname AS name, array_agg(a.attname::text ORDER BY k.n) AS pk
     FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE s.nspname = $1 AND c.relkind = 'r' AND c.relname <> 'pgmigrations' GROUP BY c.relname`,
    [schema],
  );
  const out: Rows = new Map();
  for (const { name, pk } of tables) {
    const { rows } = await db.query<{ row: Record<string, unknown> }>(`SELECT to_jsonb(x) AS row FROM ${quoteIdent(name)} x`);
    out.set(name, new Map(rows.map(({ row }) => [pk.map((c) => JSON.stringify(row[c])).join('|'), row])));
  }
  return out;
}

t.test(`data of the previous release (${PREVIOUS_RELEASE}) survives every later migration and reads through the API`, async (t) => {
  t.ok(ALL.includes(PREVIOUS_RELEASE), 'the previous release is one of the migrations');
  await ensureDatabase(DATABASE_URL);
  const schema = `u_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const db = createDb({ url: DATABASE_URL, schema, max: 3 });
  t.teardown(async () => {
    await db.end();
    const admin = createDb({ url: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });

  const first = await migrate(DATABASE_URL, schema, undefined, { upTo: PREVIOUS_RELEASE });
  t.same(first, ALL.slice(0, ALL.indexOf(PREVIOUS_RELEASE) + 1), 'migrated up to the previous release only');
  await db.query(await readFile(new URL(`../fixtures/upgrade/${PREVIOUS_RELEASE}.sql`, import.meta.url), 'utf8'));
  const before = await snapshot(db, schema);
  t.ok([...before.values()].every((rows) => rows.size > 0), `the fixture fills every table of the previous release (${[...before].filter(([, r]) => r.size === 0).map(([n]) => n).join(', ') || 'all filled'})`);

  const later = await migrate(DATABASE_URL, schema);
  t.same(later, ALL.slice(ALL.indexOf(PREVIOUS_RELEASE) + 1), 'the later migrations apply on that data');
  const after = await snapshot(db, schema);
  for (const [table, rows] of before) {
    const now = after.get(table);
    t.ok(now, `table ${table} is still there`);
    if (!now) continue;
    t.equal(now.size, rows.size, `${table}: every row is still there`);
    const changed = [...rows].filter(([key, row]) => {
      const r = now.get(key);
      // columns a migration dropped are left out; every kept column keeps its value
      return !r || Object.keys(row).some((c) => c in r && JSON.stringify(r[c]) !== JSON.stringify(row[c]));
    });
    t.same(changed.map(([key]) => key), [], `${table}: no row lost or changed`);
  }

  // the app of this release over the upgraded schema
  const storage = await testStorage(t, 'embedded');
  const { app } = await buildTestApp(t, { url: DATABASE_URL, db, storage });
  const headers = { authorization: `Bearer ${ADMIN}` };

  const events = await app.inject({ method: 'GET', url: '/api/v1/events' });
  t.same((events.json().events as { slug: string }[]).map((e) => e.slug), ['assembly'], 'the public lists the published event only');
  const album = await app.inject({ method: 'GET', url: '/api/v1/events/assembly/albums/day-1' });
  t.equal(album.statusCode, 200);
  const listed = album.json().assets as { id: string; renditions: Record<string, unknown> }[];
  const publicIds = ['00000000-0000-4000-8000-000000000c01', '00000000-0000-4000-8000-000000000c04', '00000000-0000-4000-8000-000000000c07'];
  t.same(listed.map((a) => a.id).sort(), publicIds, 'the public album lists its ready, visible assets');
  t.ok(listed.every((a) => Object.keys(a.renditions).length > 0), 'each with its renditions');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/events/assembly/albums/day-2' })).statusCode, 404, 'the draft album stays private');

  const { rows: assets } = await db.query<{ id: string; status: string; kind: string; renditions: number }>(
    'SELECT a.id, a.status, a.kind, (SELECT count(*)::int FROM renditions r WHERE r.asset_id = a.id) AS renditions FROM assets a ORDER BY a.id');
  t.ok(new Set(assets.map((a) => `${a.kind}/${a.status}`)).size >= 7, 'assets of every kind in every status');
  for (const a of assets) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/assets/${a.id}`, headers });
    t.equal(res.statusCode, 200, `admin reads ${a.kind} ${a.status} ${a.id}`);
    const body = res.json();
    t.match(body, { id: a.id, kind: a.kind, status: a.status });
    t.equal(Object.keys(body.renditions ?? {}).length >= Math.min(a.renditions, 1), true, `${a.id}: renditions listed`);
  }
  const audit = await app.inject({ method: 'GET', url: '/api/v1/audit', headers });
  t.equal(audit.statusCode, 200);
  t.ok(JSON.stringify(audit.json()).includes('event.publish'), 'the audit log reads back');
  const tokens = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers });
  t.equal(tokens.statusCode, 200);
  t.ok(['Editor', 'Hall A', 'Upload link'].every((l) => JSON.stringify(tokens.json()).includes(l)), 'the tokens read back');
});
