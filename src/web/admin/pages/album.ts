/** The console's album page: its details per language, publish/unpublish, delete, and its items. */
import { html } from 'ghtml';
import type { AssetWithMedia } from '../../../db/assets.js';
import type { AlbumRow } from '../../../db/albums.js';
import type { EventRow } from '../../../db/events.js';
import { dirOf, titleOf } from '../../i18n.js';
import { languageName } from '../../locales/index.js';
import { albumStrings } from '../../locales/admin/album.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';
import { staticUrl } from '../../../routes/static/files.js';
import { albumItems } from './album-items.js';

export interface AlbumView {
  event: EventRow;
  album: AlbumRow;
  albums: AlbumRow[];
  items: AssetWithMedia[];
  missingOnly: boolean;
  /** after a save or a bulk action: how many items changed */
  notice?: string | undefined;
}

export function albumBase(ctx: AdminContext, event: EventRow, album: AlbumRow): string {
  return adminHref(ctx, `e/${encodeURIComponent(event.slug)}/a/${encodeURIComponent(album.slug)}`);
}

function details(ctx: AdminContext, t: ReturnType<typeof albumStrings.translator>, event: EventRow, album: AlbumRow): string {
  const base = albumBase(ctx, event, album);
  const fields = event.locales.map((l) => html`<div class="admin-lang" data-lang="${l}">
<p class="admin-field"><label for="title-${l}">${t('album.titleIn', { language: languageName(l) })}</label><input id="title-${l}" name="title.${l}" value="${album.title[l] ?? ''}" lang="${l}" dir="${dirOf(l)}"></p>
<p class="admin-field"><label for="caption-${l}">${t('album.captionIn', { language: languageName(l) })}</label><textarea id="caption-${l}" name="caption.${l}" rows="2" lang="${l}" dir="${dirOf(l)}">${album.caption[l] ?? ''}</textarea></p>
</div>`).join('\n');
  const published = album.status === 'published';
  return html`<section class="admin-card" aria-labelledby="details-title"><h2 id="details-title">${t('album.details')}</h2>
<p>${t('album.status', { status: ctx.tc(published ? 'status.published' : 'status.draft') })}
!${published ? html` · <a href="/${ctx.locale}/e/${encodeURIComponent(event.slug)}/${encodeURIComponent(album.slug)}">${t('album.view')}</a>` : ''}</p>
<form method="post" action="${base}/status">!${csrfField(ctx)}<input type="hidden" name="status" value="${published ? 'draft' : 'published'}">
<button type="submit" class="admin-publish">${t(published ? 'album.unpublish' : 'album.publish')}</button></form>
<form method="post" action="${base}/details">!${csrfField(ctx)}
<div class="admin-langs">!${fields}</div>
<p><button type="submit">${t('album.saveDetails')}</button></p></form>
<p><a href="${base}/delete" class="admin-danger">${t('album.delete')}</a></p>
</section>`;
}

export function albumPage(ctx: AdminContext, v: AlbumView): string {
  const t = albumStrings.translator(ctx.locale);
  const title = titleOf(v.album, v.event, ctx.locale);
  const eventTitle = titleOf(v.event, v.event, ctx.locale);
  const body = html`<header class="page-head"><h1 lang="${title.lang}" dir="${title.dir}">${title.text}</h1></header>
!${v.notice ? html`<p class="admin-notice" role="status">${v.notice}</p>` : ''}
!${details(ctx, t, v.event, v.album)}
!${albumItems(ctx, v)}`;
  return adminLayout(ctx, {
    title: title.text,
    crumbs: [{ label: eventTitle.text, href: adminHref(ctx, `e/${encodeURIComponent(v.event.slug)}`), lang: eventTitle.lang }],
    body,
    scripts: [{ src: staticUrl('admin-order.js'), module: true }],
    clientStrings: { orderSaved: t('album.orderSaved'), orderFailed: t('album.orderFailed'), saved: t('album.fieldSaved'), saveFailed: t('album.fieldFailed') },
  });
}

export function albumDeletePage(ctx: AdminContext, event: EventRow, album: AlbumRow): string {
  const t = albumStrings.translator(ctx.locale);
  const title = titleOf(album, event, ctx.locale);
  const base = albumBase(ctx, event, album);
  const body = html`<header class="page-head"><h1>${t('album.delete')}</h1></header>
<form method="post" action="${base}/delete" class="admin-card">!${csrfField(ctx)}
<p class="admin-problem">${t('album.deleteConfirm', { album: title.text, n: album.assetCount })}</p>
<p><button type="submit" class="admin-danger">${t('album.deleteYes')}</button> <a href="${base}">${t('album.cancel')}</a></p>
</form>`;
  return adminLayout(ctx, { title: t('album.delete'), crumbs: [{ label: title.text, href: base, lang: title.lang }], body });
}
