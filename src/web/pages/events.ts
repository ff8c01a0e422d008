/** The list of published events. */
import { html } from 'ghtml';
import type { EventCard } from '../../services/gallery.js';
import { href, pathOf, type PageContext } from '../context.js';
import { formatDays, pick, titleOf } from '../i18n.js';
import { layout } from '../layout.js';
import { assetMedia } from '../media.js';
import { coverImage } from '../partials/cover.js';
import { langAttrs } from '../partials/text.js';

export function eventsPage(ctx: PageContext, events: EventCard[]): string {
  const cards = events.map(({ event, cover }, i) => {
    const title = titleOf(event, event, ctx.locale);
    const venue = pick(event.venue, ctx.locale, event.defaultLocale, event.locales);
    return html`<li class="card">
<a href="${href(ctx, pathOf('e', event.slug))}">
!${coverImage(ctx, cover, '', i >= 4)}
<h2!${langAttrs(title)}>${title.text}</h2>
</a>
<p class="dates">${formatDays(event.startsOn, event.endsOn, ctx.locale)}</p>
!${venue ? html`<p class="venue"!${langAttrs(venue)}>${venue.text}</p>` : ''}
</li>`;
  });
  const firstCover = events.find((e) => e.cover)?.cover;
  return layout(ctx, {
    title: ctx.t('events.title'),
    crumbs: [],
    share: { type: 'website', description: ctx.t('site.tagline'), image: firstCover ? assetMedia(ctx.publicUrl, firstCover).share : null },
    body: html`<header class="page-head"><h1>${ctx.t('events.title')}</h1><p class="lede">${ctx.t('site.tagline')}</p></header>
!${cards.length > 0 ? html`<ul class="cards">!${cards}</ul>` : html`<p class="empty">${ctx.t('events.empty')}</p>`}`,
    bodyClass: 'events',
  });
}
