/**
 * Gallery data for page tests, written straight into the database: an event with albums, and
 * ready assets with the renditions the workers would have made (no media files are needed to
 * render pages).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rgbaToThumbHash } from 'thumbhash';
import type { TestContext } from '../helpers/context.js';

export interface SeedAsset {
  kind?: 'image' | 'video' | 'document';
  caption?: Record<string, string>;
  altText?: Record<string, string>;
  credit?: string;
  license?: string;
  width?: number;
  height?: number;
  hidden?: boolean;
  status?: 'ready' | 'processing' | 'failed';
  capturedAt?: string;
  subtitles?: string[];
  /** an asset derived before the fallback had one name: a 2048 px `large.jpg` instead of `fallback.jpg` */
  legacyFallback?: boolean;
}

/** A thumbhash of a flat colour, so the average colour is known. */
export function flatThumbhash(r: number, g: number, b: number): string {
  const rgba = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i);
  return Buffer.from(rgbaToThumbHash(16, 16, rgba)).toString('base64');
}

export async function seedGalleryEvent(
  ctx: TestContext,
  o: { slug?: string; status?: 'draft' | 'published'; locales?: string[]; defaultLocale?: string; title?: Record<string, string>; description?: Record<string, string>; venue?: Record<string, string> | null } = {},
): Promise<{ id: string; slug: string }> {
  const slug = o.slug ?? 'conf';
  const { rows } = await ctx.db.query<{ id: string }>(
    `INSERT INTO events (slug, title, description, starts_on, ends_on, venue, locales, default_locale, status)
     VALUES ($1, $2, $3, '2026-12-01', '2026-12-02', $4, $5, $6, $7) RETURNING id`,
    [slug, o.title ?? { ar: 'مؤتمر المجتمع المدني', en: 'Civil society conference', ku: 'Konferansa civaka sivîl' },
      o.description ?? { ar: 'يومان في باريس', en: 'Two days in Paris' }, o.venue === undefined ? { ar: 'باريس', en: 'Paris' } : o.venue,
      o.locales ?? ['ar', 'en', 'ku'], o.defaultLocale ?? 'ar', o.status ?? 'published'],
  );
  return { id: rows[0]!.id, slug };
}

export async function seedAlbum(
  ctx: TestContext, eventId: string,
  o: { slug?: string; status?: 'draft' | 'published'; title?: Record<string, string>; caption?: Record<string, string> } = {},
): Promise<{ id: string; slug: string }> {
  const slug = o.slug ?? 'day-1';
  const { rows } = await ctx.db.query<{ id: string }>(
    `INSERT INTO albums (event_id, slug, title, caption, status) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [eventId, slug, o.title ?? { ar: 'اليوم الأول', en: 'Day one' }, o.caption ?? { ar: 'افتتاح المؤتمر', en: 'The opening' }, o.status ?? 'published'],
  );
  return { id: rows[0]!.id, slug };
}

/** A ready asset with thumb/medium/large WebP and the 1200 px JPEG fallback (videos also their HLS and MP4). */
export async function seedAsset(ctx: TestContext, event: { id: string }, album: { id: string }, a: SeedAsset = {}): Promise<string> {
  const id = randomUUID();
  const kind = a.kind ?? 'image';
  const width = a.width ?? 3000;
  const height = a.height ?? 2000;
  await ctx.db.query(
    `INSERT INTO assets (id, event_id, album_id, kind, mime_type, status, bytes, sha256, original_filename, caption, alt_text,
       credit, license, width, height, placeholder, hidden, captured_at, position)
     VALUES ($1, $2, $3, $4, $5, $6, 1000, $7, 'x', $8, $9, $10, $11, $12, $13, $14, $15, $16,
       (SELECT COALESCE(max(position) + 1, 0) FROM assets WHERE album_id = $3))`,
    [id, event.id, album.id, kind, kind === 'video' ? 'video/mp4' : 'image/jpeg', a.status ?? 'ready', randomBytes(32),
      a.caption ?? {}, a.altText ?? {}, a.credit ?? null, a.license ?? null, width, height, flatThumbhash(200, 40, 40),
      a.hidden ?? false, a.capturedAt ?? null],
  );
  const scale = (edge: number) => {
    const f = Math.min(1, edge / Math.max(width, height));
    return [Math.round(width * f), Math.round(height * f)] as const;
  };
  const renditions: [string, string, number | null, number | null][] = [
    ['thumb.webp', 'image/webp', ...scale(400)],
    ['medium.webp', 'image/webp', ...scale(1024)],
    ['large.webp', 'image/webp', ...scale(2048)],
    a.legacyFallback ? ['large.jpg', 'image/jpeg', ...scale(2048)] : ['fallback.jpg', 'image/jpeg', ...scale(1200)],
  ];
  if (kind === 'video') {
    renditions.push(['hls/master.m3u8', 'application/vnd.apple.mpegurl', null, null], ['download.mp4', 'video/mp4', width, height],
      ['storyboard.vtt', 'text/vtt', null, null], ['storyboard.jpg', 'image/jpeg', 1600, 900]);
  }
  for (const [name, type, w, h] of renditions) {
    await ctx.db.query(
      'INSERT INTO renditions (asset_id, name, key, width, height, bytes, type) VALUES ($1, $2, $3, $4, $5, 100, $6)',
      [id, name, `renditions/${id}/${name}`, w, h, type],
    );
  }
  for (const locale of a.subtitles ?? []) {
    await ctx.db.query('INSERT INTO subtitles (asset_id, locale, key, bytes, cue_count) VALUES ($1, $2, $3, 10, 1)',
      [id, locale, `renditions/${id}/subtitles/${locale}.vtt`]);
  }
  return id;
}
