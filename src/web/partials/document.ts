/**
 * The parts of a document's page: its page count, previews of its first pages, and the name
 * its PDF is saved under (the same on the page's link and in the download's own header).
 */
import { html } from 'ghtml';
import type { EventRow } from '../../db/events.js';
import type { GalleryAsset } from '../../services/gallery.js';
import { cleanFilename } from '../../services/filenames.js';
import { renditionUrl } from '../../services/urls.js';
import { attrUrl } from '../attr.js';
import type { PageContext } from '../context.js';
import { pick } from '../i18n.js';

const PAGE_PREVIEW = /^page-(\d+)\.webp$/;
/** Characters of a caption kept in a file name: enough to tell documents apart. */
const MAX_NAME_CHARS = 80;

/** The page count the worker recorded, or null before it has. */
export function pageCount(asset: Pick<GalleryAsset, 'metadata'>): number | null {
  const pages = asset.metadata.pages;
  return typeof pages === 'number' && Number.isInteger(pages) && pages > 0 ? pages : null;
}

/**
 * `<caption>.pdf`, from the caption in the event's default language (a statement is named as its
 * organisers name it, whatever the visitor's language), else `<event>-<id>.pdf`. The name is
 * data: controls and bidi overrides go, and the header carrying it is written by a library.
 */
export function documentFilename(event: Pick<EventRow, 'slug' | 'defaultLocale' | 'locales'>, asset: Pick<GalleryAsset, 'id' | 'caption'>): string {
  const fallback = `${event.slug}-${asset.id.slice(0, 8)}.pdf`;
  const caption = pick(asset.caption, event.defaultLocale, event.defaultLocale, event.locales);
  if (!caption) return fallback;
  const chars = Array.from(cleanFilename(caption.text.replace(/\s+/g, ' ')));
  const name = chars.slice(0, MAX_NAME_CHARS).join('').trim();
  return name === '' || name === 'upload' ? fallback : `${name}.pdf`;
}

/** "Pages: 12" and the previews of pages 2 and on (page 1 is the page's picture). */
export function documentPages(ctx: PageContext, asset: GalleryAsset): string {
  const total = pageCount(asset);
  const previews = asset.renditions
    .map((r) => ({ r, page: Number(PAGE_PREVIEW.exec(r.name)?.[1] ?? 0) }))
    .filter((p) => p.page > 0 && p.r.width && p.r.height)
    .sort((a, b) => a.page - b.page);
  if (!total) return '';
  const items = previews.map(({ r, page }) => {
    const alt = ctx.t('document.pageOf', { n: page, total });
    return html`<li class="page-preview"><img src="!${attrUrl(renditionUrl('', r))}" width="${r.width!}" height="${r.height!}" alt="${alt}" loading="lazy" decoding="async"></li>`;
  });
  const list = items.length > 0 ? html`<ol class="page-previews" start="${previews[0]!.page}">\n!${items.join('\n')}\n</ol>` : '';
  return html`<section class="document-pages" aria-label="${ctx.t('document.previews')}">
<p class="page-count">${ctx.t('document.pageCount', { n: total })}</p>
!${list}
</section>`;
}
