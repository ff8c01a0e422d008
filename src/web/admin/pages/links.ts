/** The links page: an event's upload links and press links, when each was last used, mint and withdraw. */
import { html } from 'ghtml';
import type { AlbumRow } from '../../../db/albums.js';
import type { EventRow } from '../../../db/events.js';
import type { ShareLinkRow } from '../../../db/share-links.js';
import type { TokenListRow } from '../../../db/tokens.js';
import { formatDay, titleOf } from '../../i18n.js';
import { linkStrings } from '../../locales/admin/links.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';

type T = ReturnType<typeof linkStrings.translator>;

export interface LinksView {
  event: EventRow;
  albums: AlbumRow[];
  uploadLinks: TokenListRow[];
  pressLinks: (ShareLinkRow & { albumSlug: string })[];
  /** a link just made: its URL, shown this once */
  created?: string | undefined;
}

export function linksBase(ctx: AdminContext, event: EventRow): string {
  return adminHref(ctx, `e/${encodeURIComponent(event.slug)}/links`);
}

function state(ctx: AdminContext, t: T, l: { revokedAt: Date | null; expiresAt: Date | null; lastUsedAt: Date | null }): string {
  const day = (d: Date) => formatDay(d.toISOString().slice(0, 10), ctx.locale);
  const parts = [
    l.revokedAt ? t('links.revoked') : l.expiresAt && l.expiresAt.getTime() <= Date.now() ? t('links.expired') : l.expiresAt ? t('links.expires', { date: day(l.expiresAt) }) : '',
    l.lastUsedAt ? t('links.lastUsed', { date: day(l.lastUsedAt) }) : t('links.neverUsed'),
  ].filter(Boolean);
  return parts.join(' · ');
}

function revokeForm(ctx: AdminContext, t: T, action: string, live: boolean): string {
  return live ? html`<form method="post" action="${action}" class="admin-inline">!${csrfField(ctx)}<button type="submit">${t('links.revoke')}</button></form>` : '';
}

export function linksPage(ctx: AdminContext, v: LinksView): string {
  const t = linkStrings.translator(ctx.locale);
  const base = linksBase(ctx, v.event);
  const albumName = (slug: string | null) => {
    const a = v.albums.find((x) => x.slug === slug);
    return a ? titleOf(a, v.event, ctx.locale).text : t('links.anyAlbum');
  };
  const albumOptions = v.albums.map((a) => html`<option value="${a.slug}">${titleOf(a, v.event, ctx.locale).text}</option>`).join('');
  const upload = v.uploadLinks.length === 0 ? html`<p>${t('links.none')}</p>` : html`<ul class="admin-events">!${v.uploadLinks.map((l) => html`<li data-link="${l.id}"><span>${l.label}</span> <span>${albumName(l.albumSlug)}</span> <span class="admin-help">${state(ctx, t, l)}</span>
!${revokeForm(ctx, t, `${base}/upload/${l.id}/revoke`, !l.revokedAt && !(l.expiresAt && l.expiresAt.getTime() <= Date.now()))}</li>`)}</ul>`;
  const press = v.pressLinks.length === 0 ? html`<p>${t('links.none')}</p>` : html`<ul class="admin-events">!${v.pressLinks.map((l) => html`<li data-link="${l.id}"><span>${l.label ?? ''}</span> <span>${albumName(l.albumSlug)}</span> <span>${t(l.variant === 'web' ? 'links.variant.web' : 'links.variant.original')}</span> <span class="admin-help">${state(ctx, t, l)}</span>
!${revokeForm(ctx, t, `${base}/press/${l.id}/revoke`, !l.revokedAt && l.expiresAt.getTime() > Date.now())}</li>`)}</ul>`;
  const days = (id: string, value: number) => html`<p class="admin-field"><label for="${id}">${t('links.days')}</label><input id="${id}" name="days" type="number" inputmode="numeric" min="1" max="90" value="${value}" required></p>`;
  const body = html`<header class="page-head"><h1>${t('links.title')}</h1></header>
!${v.created ? html`<div class="admin-notice" role="status"><p>${t('links.created')}</p><p><input id="created-link" class="admin-created" readonly dir="ltr" value="${v.created}" aria-label="${t('links.created')}"></p></div>` : ''}
<section aria-labelledby="upload-title"><h2 id="upload-title">${t('links.upload')}</h2>
!${upload}
<form method="post" action="${base}/upload" class="admin-card">!${csrfField(ctx)}
<p class="admin-field"><label for="upload-label">${t('links.label')}</label><input id="upload-label" name="label" maxlength="100"></p>
<p class="admin-field"><label for="upload-album">${t('links.album')}</label><select id="upload-album" name="album"><option value="">${t('links.anyAlbum')}</option>!${albumOptions}</select></p>
!${days('upload-days', 7)}
<p><button type="submit">${t('links.createUpload')}</button></p></form></section>
<section aria-labelledby="press-title"><h2 id="press-title">${t('links.press')}</h2>
!${press}
!${v.albums.length === 0 ? '' : html`<form method="post" action="${base}/press" class="admin-card">!${csrfField(ctx)}
<p class="admin-field"><label for="press-label">${t('links.label')}</label><input id="press-label" name="label" maxlength="100"></p>
<p class="admin-field"><label for="press-album">${t('links.album')}</label><select id="press-album" name="album">!${albumOptions}</select></p>
<p class="admin-field"><label for="press-variant">${t('links.variant')}</label><select id="press-variant" name="variant"><option value="original">${t('links.variant.original')}</option><option value="web">${t('links.variant.web')}</option></select></p>
!${days('press-days', 14)}
<p><button type="submit">${t('links.createPress')}</button></p></form>`}</section>`;
  const eventTitle = titleOf(v.event, v.event, ctx.locale);
  return adminLayout(ctx, { title: t('links.title'), crumbs: [{ label: eventTitle.text, href: adminHref(ctx, `e/${encodeURIComponent(v.event.slug)}`), lang: eventTitle.lang }], body });
}
