import { updateById, type GalleryWrite, type Queryable } from './database.js';

export type Localized = Record<string, string>;

export interface EventRow {
  id: string;
  slug: string;
  title: Localized;
  description: Localized;
  startsOn: string;
  endsOn: string;
  /** per locale, like the title; null when none is given */
  venue: Localized | null;
  locales: string[];
  defaultLocale: string;
  status: 'draft' | 'published';
  /** whether stored originals keep location, serial numbers and owner names (DESIGN: privacy) */
  keepLocation: boolean;
  /** the licence (src/licenses.ts id) of assets that name none */
  defaultLicense: string | null;
  /** how credits are written: {credit}, {event}, {year} */
  creditTemplate: string;
  /** new uploads wait for an editor's approval before anything public shows them */
  moderation: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, slug, title, description, to_char(starts_on, 'YYYY-MM-DD') AS "startsOn",
  to_char(ends_on, 'YYYY-MM-DD') AS "endsOn", venue, locales, default_locale AS "defaultLocale", status,
  keep_location AS "keepLocation", default_license AS "defaultLicense", credit_template AS "creditTemplate", moderation, created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface NewEvent {
  slug: string;
  title: Localized;
  description?: Localized | undefined;
  startsOn: string;
  endsOn: string;
  venue?: Localized | null | undefined;
  locales: string[];
  defaultLocale: string;
  keepLocation?: boolean | undefined;
  defaultLicense?: string | null | undefined;
  creditTemplate?: string | undefined;
  moderation?: boolean | undefined;
}

/** Inserts the event with the write's event id. */
export async function insertEvent(w: GalleryWrite, e: NewEvent): Promise<EventRow> {
  const { rows } = await w.query<EventRow>(
    `INSERT INTO events (id, slug, title, description, starts_on, ends_on, venue, locales, default_locale, keep_location, default_license, credit_template, moderation)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
    [w.eventId, e.slug, e.title, e.description ?? {}, e.startsOn, e.endsOn, e.venue ?? null, e.locales, e.defaultLocale, e.keepLocation ?? false,
      e.defaultLicense ?? null, e.creditTemplate ?? '{credit}', e.moderation ?? false],
  );
  return rows[0]!;
}

export async function findEventBySlug(db: Queryable, slug: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE slug = $1`, [slug]);
  return rows[0];
}

export async function findEventById(db: Queryable, id: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [id]);
  return rows[0];
}

/** Published events, plus `alsoEventId` (a scoped token's own event); every event when `all`. */
export async function listEvents(db: Queryable, opts: { all: boolean; alsoEventId?: string | null }): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM events
     WHERE $1 OR status = 'published' OR id = $2
     ORDER BY starts_on DESC, slug`,
    [opts.all, opts.alsoEventId ?? null],
  );
  return rows;
}

export type EventPatch = Partial<Omit<NewEvent, 'slug'> & { status: 'draft' | 'published' }>;

const PATCHABLE: Record<keyof EventPatch, string> = {
  title: 'title',
  description: 'description',
  startsOn: 'starts_on',
  endsOn: 'ends_on',
  venue: 'venue',
  locales: 'locales',
  defaultLocale: 'default_locale',
  status: 'status',
  keepLocation: 'keep_location',
  moderation: 'moderation',
  defaultLicense: 'default_license',
  creditTemplate: 'credit_template',
};

/** Updates the write's event; an event that stops keeping locations forgets those it recorded. */
export async function updateEvent(w: GalleryWrite, patch: EventPatch): Promise<EventRow | undefined> {
  const row = await updateById<EventPatch, EventRow>(w, 'events', w.eventId, PATCHABLE, patch, COLUMNS);
  if (row && patch.keepLocation === false) {
    await w.query(
      `UPDATE assets SET private_latitude = NULL, private_longitude = NULL, private_altitude = NULL, private_location = NULL
       WHERE event_id = $1 AND (private_latitude IS NOT NULL OR private_longitude IS NOT NULL OR private_altitude IS NOT NULL OR private_location IS NOT NULL)`,
      [w.eventId],
    );
  }
  return row;
}

/** Deletes the event's row; its albums and assets must be gone already (assets restrict it). */
export async function deleteEventRow(w: GalleryWrite): Promise<void> {
  await w.query('DELETE FROM albums WHERE event_id = $1', [w.eventId]);
  await w.query('DELETE FROM events WHERE id = $1', [w.eventId]);
}
