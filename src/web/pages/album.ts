/** An album: its title and caption, then a justified grid of its photos and videos. */
import { html } from 'ghtml';
import type { AlbumPage } from '../../services/gallery.js';
import { href, pathOf, type PageContext } from '../context.js';
import { pick, titleOf } from '../i18n.js';
import { layout } from '../layout.js';
import { assetMedia } from '../media.js';
import { captionOf } from '../partials/asset-text.js';
import { langAttrs, para } from '../partials/text.js';
import { tile } from '../partials/tile.js';

/** Tiles loaded at once: about the first screen on a phone; the rest load as they scroll in. */
export const EAGER_TILES = 8;
/** Tiles fetched at high priority: the first row, whatever the screen. */
const PRIORITY_TILES = 2;

export function albumPage(ctx: PageContext, data: AlbumPage): string {
  const { event, album, assets, page, pageCount } = data;
  const eventTitle = titleOf(event, event, ctx.locale);
  const title = titleOf(album, event, ctx.locale);
  const caption = pick(album.caption, ctx.locale, event.defaultLocale, event.locales);
  const albumPath = pathOf('e', event.slug, album.slug);
  const offset = (page - 1) * data.pageSize;
  const tiles = assets.map((a, i) => tile(ctx, event, album, a, { index: offset + i + 1, lazy: i >= EAGER_TILES, priority: page === 1 && i < PRIORITY_TILES }));
  const pageLink = (n: number) => `${href(ctx, albumPath)}${n > 1 ? `?page=${n}` : ''}`;
  const first = assets[0];
  const body = html`<header class="page-head">
<h1!${langAttrs(title)}>${title.text}</h1>
!${para('lede', caption)}
<p class="count">${ctx.t('album.count', { n: data.total })}</p>
</header>
!${assets.length === 0 ? html`<p class="empty">${ctx.t('album.empty')}</p>` : ''}
<ol class="grid" id="grid" aria-label="${ctx.t('album.grid')}" data-live-url="/api/v1/events/${event.slug}/live" data-album-id="${album.id}" data-tile-url="/${ctx.locale}/e/${event.slug}/${album.slug}/{assetId}/tile">
!${tiles}
</ol>
!${pageCount > 1 ? html`<nav class="pages" aria-label="${ctx.t('nav.pages')}">
!${page > 1 ? html`<a class="prev" rel="prev" href="${pageLink(page - 1)}"><span class="arrow" aria-hidden="true">←</span> ${ctx.t('album.previousPage')}</a>` : ''}
<span>${ctx.t('album.pageOf', { n: page, total: pageCount })}</span>
!${page < pageCount ? html`<a class="next" rel="next" href="${pageLink(page + 1)}">${ctx.t('album.nextPage')} <span class="arrow" aria-hidden="true">→</span></a>` : ''}
</nav>` : ''}`;
  const cover = first ? assetMedia(ctx.publicUrl, first).share : null;
  return layout(ctx, {
    title: title.text,
    crumbs: [
      { label: ctx.t('nav.events'), href: href(ctx, '') },
      { label: eventTitle.text, lang: eventTitle.lang, href: href(ctx, pathOf('e', event.slug)) },
      { label: title.text, lang: title.lang },
    ],
    share: {
      type: 'website',
      description: caption?.text ?? eventTitle.text,
      image: cover,
      imageAlt: first ? captionOf(ctx, event, first)?.text : undefined,
    },
    body,
    bodyClass: 'album',
  });
}
