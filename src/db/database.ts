/**
 * PostgreSQL access: a pool bound to one schema, database creation and migrations.
 */
import pg from 'pg';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export type Db = pg.Pool;
export type Queryable = Pick<pg.PoolClient, 'query'>;

declare const galleryWriteBrand: unique symbol;

/**
 * A transaction that changes what the public gallery shows, for one event. Every query that
 * inserts, updates or deletes an event, album, asset, rendition or subtitle row takes one
 * instead of a Queryable, and scopes its rows to `eventId`. Only `write()` of the gallery's
 * change versions (services/changes.ts) makes one, and it bumps the event's version after the
 * commit: a mutation that forgets the bump does not compile.
 */
export interface GalleryWrite extends Queryable {
  readonly eventId: string;
  readonly [galleryWriteBrand]: true;
}

// bigint counts (bytes) fit in a JS number up to 8 PiB; numeric aggregates likewise.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

export interface DbOptions {
  url: string;
  /** PostgreSQL schema holding the tables; tests give each run its own */
  schema?: string;
  max?: number;
}

export function createDb({ url, schema = 'public', max = 10 }: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: withDefaultUser(url),
    max,
    options: `-c search_path=${quoteIdent(schema)}`,
    application_name: 'lamha',
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** SQLSTATEs of a server that is gone, going or not there yet: the query may work again later. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']); // admin/crash shutdown, cannot connect now, too many connections
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** pg's own words for a connection lost or never made (it sets no code on these) */
const LOST = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/;

/**
 * Whether `err` (or its cause) says that PostgreSQL could not be reached or went away, rather
 * than that a query was wrong: the API answers those 503, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_STATES.has(code))) return true;
    if (typeof code === 'string' && NETWORK_CODES.has(code) && (e as { syscall?: unknown; port?: unknown }).port !== undefined) return true;
    if (e instanceof Error && LOST.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((x) => isDatabaseUnavailable(x))) return true;
  }
  return false;
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: withDefaultUser(url) });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name
  } finally {
    await probe.end().catch(() => {});
  }
  const admin = new URL(withDefaultUser(url));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (err) {
    // another process created it meanwhile: duplicate_database when it had committed before this
    // began, unique_violation (on pg_database's name) when both were inserting it at once
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

export interface MigrateLogger {
  info(msg: string): void;
}

/**
 * Applies pending migrations. node-pg-migrate takes a PostgreSQL advisory lock, so
 * processes starting together wait for each other instead of racing.
 */
export async function migrate(url: string, schema = 'public', logger?: MigrateLogger, options: { upTo?: string } = {}): Promise<string[]> {
  let count: number | undefined;
  if (options.upTo !== undefined) {
    // stop after this migration (the upgrade test's "previous release"); counted from the first, applied or not
    const names = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();
    const at = names.indexOf(options.upTo);
    if (at < 0) throw new Error(`no migration ${options.upTo}`);
    count = Math.max(0, at + 1 - (await appliedCount(url, schema)));
  }
  const ran = await runner({
    ...(count !== undefined ? { count } : {}),
    databaseUrl: withDefaultUser(url),
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    schema,
    createSchema: true,
    direction: 'up',
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: (m: string) => logger?.info(m), error: (m: string) => logger?.info(m) },
  });
  for (const m of ran) logger?.info(`applied migration ${m.name}`);
  return ran.map((m) => m.name);
}

/** How many migrations the schema has applied (0 when it has none yet). */
async function appliedCount(url: string, schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: withDefaultUser(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, 'pgmigrations']);
    if (rows[0]!.n === 0) return 0;
    const applied = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.pgmigrations`);
    return applied.rows[0]!.n;
  } finally {
    await client.end();
  }
}

/**
 * Like libpq, a URL without a user name connects as the operating-system user; node-postgres
 * would only read $USER, which service managers and CI often leave unset.
 */
export function withDefaultUser(url: string): string {
  const u = new URL(url);
  if (!u.username) u.username = encodeURIComponent(process.env.PGUSER || os.userInfo().username);
  return u.toString();
}

/** A schema or database name quoted for SQL (pg's escapeIdentifier; the tests and benchmarks use it by this name). */
export const quoteIdent = pg.escapeIdentifier;

export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * UPDATE of the fields present in `patch` of a row of the write's event, each mapped to its column by `columns`; answers the
 * updated row (selected with `returning`) or undefined when no row has that id.
 */
export async function updateById<P extends object, R extends object>(
  w: GalleryWrite,
  table: 'events' | 'albums',
  id: string,
  columns: Record<keyof P, string>,
  patch: P,
  returning: string,
): Promise<R | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [id, w.eventId];
  for (const [field, column] of Object.entries(columns) as [keyof P, string][]) {
    const v = patch[field];
    if (v === undefined) continue;
    values.push(v);
    sets.push(`${column} = $${values.length}`);
  }
  sets.push('updated_at = now()');
  const scope = table === 'events' ? 'id' : 'event_id';
  const { rows } = await w.query(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1 AND ${scope} = $2 RETURNING ${returning}`, values);
  return rows[0] as R | undefined;
}
