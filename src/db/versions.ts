/**
 * Gallery change versions (see services/changes.ts). Each event's counter moves by one under its
 * row lock; the site's version is their sum, which every commit moves and none moves back.
 */
import type pg from 'pg';
import type { Db } from './database.js';

export async function bumpVersion(client: pg.PoolClient | Db, eventId: string): Promise<void> {
  await client.query(
    `INSERT INTO gallery_versions (event_id, version) VALUES ($1, 1)
     ON CONFLICT (event_id) DO UPDATE SET version = gallery_versions.version + 1`, [eventId]);
}

/** An event's version, or the site's (null); '0' before any change. */
export async function readVersion(db: Db, eventId: string | null): Promise<string> {
  const { rows } = eventId === null
    ? await db.query<{ v: string | null }>('SELECT sum(version)::text AS v FROM gallery_versions')
    : await db.query<{ v: string | null }>('SELECT version::text AS v FROM gallery_versions WHERE event_id = $1', [eventId]);
  return rows[0]?.v ?? '0';
}
