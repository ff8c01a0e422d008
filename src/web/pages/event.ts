/** An event: title, dates, venue, description, and its albums with their covers. */
import { html } from 'ghtml';
import type { EventPage } from '../../services/gallery.js';
import { href, pathOf, type PageContext } from '../context.js';
import { formatDays, pick, titleOf } from '../i18n.js';
import { layout } from '../layout.js';
import { assetMedia } from '../media.js';
import { coverImage } from '../partials/cover.js';
import { langAttrs, para } from '../partials/text.js';

export function eventPage(ctx: PageContext, { event, albums }: EventPage): string {
  const title = titleOf(event, event, ctx.locale);
  const venue = pick(event.venue, ctx.locale, event.defaultLocale, event.locales);
  const description = pick(event.description, ctx.locale, event.defaultLocale, event.locales);
  const cards = albums.map((album, i) => {
    const albumTitle = titleOf(album, event, ctx.locale);
    return html`<li class="card">
<a href="${href(ctx, pathOf('e', event.slug, album.slug))}">
!${coverImage(ctx, album.cover, '', i >= 4)}
<h2!${langAttrs(albumTitle)}>${albumTitle.text}</h2>
</a>
<p class="count">${ctx.t('album.count', { n: album.publicCount })}</p>
</li>`;
  });
  const cover = albums.find((a) => a.cover)?.cover;
  const body = html`<header class="page-head">
<h1!${langAttrs(title)}>${title.text}</h1>
<dl class="facts">
<div><dt>${ctx.t('event.dates')}</dt><dd>${formatDays(event.startsOn, event.endsOn, ctx.locale)}</dd></div>
!${venue ? html`<div><dt>${ctx.t('event.venue')}</dt><dd!${langAttrs(venue)}>${venue.text}</dd></div>` : ''}
</dl>
!${para('lede', description)}
</header>
<section aria-labelledby="albums-h">
<h2 id="albums-h">${ctx.t('event.albums')}</h2>
!${cards.length > 0 ? html`<ul class="cards">!${cards}</ul>` : html`<p class="empty">${ctx.t('event.noAlbums')}</p>`}
</section>`;
  return layout(ctx, {
    title: title.text,
    crumbs: [{ label: ctx.t('nav.events'), href: href(ctx, '') }, { label: title.text, lang: title.lang }],
    share: { type: 'website', description: description?.text, image: cover ? assetMedia(ctx.publicUrl, cover).share : null },
    body,
    bodyClass: 'event',
  });
}
