/** The console's event pages: details per language, publish, delete, albums, and a new event. */
import { html } from 'ghtml';
import type { AlbumRow } from '../../../db/albums.js';
import type { EventRow } from '../../../db/events.js';
import { LOCALES } from '../../../locales.js';
import { dirOf, titleOf } from '../../i18n.js';
import { languageName } from '../../locales/index.js';
import { eventStrings } from '../../locales/admin/event.js';
import { linkStrings } from '../../locales/admin/links.js';
import { moderationStrings } from '../../locales/admin/moderation.js';
import { opsStrings } from '../../locales/admin/ops.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';

type T = ReturnType<typeof eventStrings.translator>;

export function eventBase(ctx: AdminContext, event: EventRow): string {
  return adminHref(ctx, `e/${encodeURIComponent(event.slug)}`);
}

function texts(event: EventRow, t: T): string {
  return event.locales.map((l) => {
    const attrs = html` lang="${l}" dir="${dirOf(l)}"`;
    return html`<div class="admin-lang" data-lang="${l}">
<p class="admin-field"><label for="title-${l}">${t('event.titleIn', { language: languageName(l) })}</label><input id="title-${l}" name="title.${l}" value="${event.title[l] ?? ''}"!${attrs}></p>
<p class="admin-field"><label for="description-${l}">${t('event.descriptionIn', { language: languageName(l) })}</label><textarea id="description-${l}" name="description.${l}" rows="3"!${attrs}>${event.description?.[l] ?? ''}</textarea></p>
<p class="admin-field"><label for="venue-${l}">${t('event.venueIn', { language: languageName(l) })}</label><input id="venue-${l}" name="venue.${l}" value="${event.venue?.[l] ?? ''}"!${attrs}></p>
</div>`;
  }).join('\n');
}

function albumList(ctx: AdminContext, t: T, event: EventRow, albums: AlbumRow[]): string {
  const base = eventBase(ctx, event);
  const list = albums.length === 0 ? html`<p>${t('event.noAlbums')}</p>` : html`<ul class="admin-events">!${albums.map((a) => {
    const title = titleOf(a, event, ctx.locale);
    return html`<li data-album="${a.slug}"><a href="${base}/a/${encodeURIComponent(a.slug)}" lang="${title.lang}" dir="${title.dir}">${title.text}</a>
<span class="admin-status admin-status-${a.status}">${ctx.tc(a.status === 'published' ? 'status.published' : 'status.draft')}</span>
<span>${t('event.albumItems', { n: a.assetCount })}</span></li>`;
  })}</ul>`;
  const fields = event.locales.map((l) => html`<p class="admin-field"><label for="album-title-${l}">${t('event.titleIn', { language: languageName(l) })}</label><input id="album-title-${l}" name="title.${l}" lang="${l}" dir="${dirOf(l)}"></p>`).join('\n');
  return html`<section aria-labelledby="albums-title"><h2 id="albums-title">${t('event.albums')}</h2>
!${list}
<form method="post" action="${base}/albums" class="admin-card">!${csrfField(ctx)}
<h3>${t('event.newAlbum')}</h3>
<p class="admin-field"><label for="album-slug">${t('event.slug')}</label><input id="album-slug" name="slug" maxlength="64" dir="ltr"></p>
<div class="admin-langs">!${fields}</div>
<p><button type="submit">${t('event.createAlbum')}</button></p></form>
</section>`;
}

export function eventPage(ctx: AdminContext, event: EventRow, albums: AlbumRow[]): string {
  const t = eventStrings.translator(ctx.locale);
  const title = titleOf(event, event, ctx.locale);
  const base = eventBase(ctx, event);
  const published = event.status === 'published';
  const body = html`<header class="page-head"><h1 lang="${title.lang}" dir="${title.dir}">${title.text}</h1></header>
<section class="admin-card" aria-labelledby="details-title"><h2 id="details-title">${t('event.details')}</h2>
<p>${t('event.status', { status: ctx.tc(published ? 'status.published' : 'status.draft') })}
!${published ? html` · <a href="/${ctx.locale}/e/${encodeURIComponent(event.slug)}">${t('event.view')}</a>` : ''}</p>
<form method="post" action="${base}/status">!${csrfField(ctx)}<input type="hidden" name="status" value="${published ? 'draft' : 'published'}">
<button type="submit" class="admin-publish">${t(published ? 'event.unpublish' : 'event.publish')}</button></form>
<form method="post" action="${base}/details">!${csrfField(ctx)}
<div class="admin-langs">!${texts(event, t)}</div>
<p><button type="submit">${t('event.save')}</button></p></form>
<p><a href="${base}/links">${linkStrings.translator(ctx.locale)('links.title')}</a></p>
<p><a href="${base}/moderation">${moderationStrings.translator(ctx.locale)('moderation.title')}</a></p>
<p><a href="${base}/dashboard">${opsStrings.translator(ctx.locale)('ops.dashboard.title')}</a></p>
!${ctx.user?.role === 'admin' ? html`<p><a href="${base}/delete" class="admin-danger">${t('event.delete')}</a></p>` : ''}
</section>
!${albumList(ctx, t, event, albums)}`;
  return adminLayout(ctx, { title: title.text, body });
}

export function eventDeletePage(ctx: AdminContext, event: EventRow): string {
  const t = eventStrings.translator(ctx.locale);
  const title = titleOf(event, event, ctx.locale);
  const base = eventBase(ctx, event);
  const body = html`<header class="page-head"><h1>${t('event.delete')}</h1></header>
<form method="post" action="${base}/delete" class="admin-card">!${csrfField(ctx)}
<p class="admin-problem">${t('event.deleteConfirm', { event: title.text })}</p>
<p><button type="submit" class="admin-danger">${t('event.deleteYes')}</button> <a href="${base}">${t('event.cancel')}</a></p>
</form>`;
  return adminLayout(ctx, { title: t('event.delete'), crumbs: [{ label: title.text, href: base, lang: title.lang }], body });
}

export function newEventPage(ctx: AdminContext): string {
  const t = eventStrings.translator(ctx.locale);
  const title = t('event.new');
  const titles = LOCALES.map((l) => html`<p class="admin-field"><label for="new-title-${l}">${t('event.titleIn', { language: languageName(l) })}</label><input id="new-title-${l}" name="title.${l}" lang="${l}" dir="${dirOf(l)}"></p>`).join('\n');
  const body = html`<header class="page-head"><h1>${title}</h1></header>
<form method="post" action="${adminHref(ctx, 'events')}" class="admin-card">!${csrfField(ctx)}
<p class="admin-field"><label for="new-slug">${t('event.slug')}</label><input id="new-slug" name="slug" maxlength="64" dir="ltr"></p>
<p class="admin-field"><label for="new-starts">${t('event.startsOn')}</label><input id="new-starts" name="startsOn" type="date" required></p>
<p class="admin-field"><label for="new-ends">${t('event.endsOn')}</label><input id="new-ends" name="endsOn" type="date" required></p>
<fieldset><legend>${t('event.locales')}</legend>!${LOCALES.map((l) => html`<label><input type="checkbox" name="locales" value="${l}"!${l === ctx.locale ? ' checked' : ''}> <span lang="${l}">${languageName(l)}</span></label> `)}</fieldset>
<p class="admin-field"><label for="new-default">${t('event.defaultLocale')}</label><select id="new-default" name="defaultLocale">!${LOCALES.map((l) => html`<option value="${l}"!${l === ctx.locale ? ' selected' : ''}>${languageName(l)}</option>`)}</select></p>
!${titles}
<p><button type="submit">${t('event.create')}</button></p></form>`;
  return adminLayout(ctx, { title, body });
}
