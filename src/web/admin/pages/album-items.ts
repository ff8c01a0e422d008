/**
 * An album's items as one form, keyboard first: per row a checkbox, the picture, the caption and
 * alt text in every language of the event side by side (a missing one flagged), credit,
 * licence, Move up / Move down and Make cover. Tab goes field by field down the list; one
 * "Save all" sends what changed. Drag and drop (static/admin-order.js) only adds to this.
 */
import { html } from 'ghtml';
import type { AssetWithMedia } from '../../../db/assets.js';
import type { AlbumRow } from '../../../db/albums.js';
import type { EventRow } from '../../../db/events.js';
import { LICENSES } from '../../../licenses.js';
import { isLocale } from '../../../locales.js';
import { dirOf } from '../../i18n.js';
import { languageName } from '../../locales/index.js';
import { albumStrings } from '../../locales/admin/album.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';

/** The event's languages an item has no caption in (blank counts as none). */
export function missingCaptions(asset: { caption: Record<string, string> }, locales: readonly string[]): string[] {
  return locales.filter((l) => !(asset.caption[l] ?? '').trim());
}

function textFields(ctx: AdminContext, t: ReturnType<typeof albumStrings.translator>, a: AssetWithMedia, locales: readonly string[]): string {
  return locales.map((l) => {
    const missing = !(a.caption[l] ?? '').trim();
    const lang = html` lang="${l}" dir="${dirOf(l)}"`;
    return html`<div class="admin-lang!${missing ? ' admin-missing' : ''}" data-lang="${l}">
<label for="cap-${a.id}-${l}">${t('album.caption', { language: languageName(l) })}</label>
<textarea id="cap-${a.id}-${l}" name="caption.${a.id}.${l}" rows="2"!${lang}!${missing ? html` aria-invalid="true" aria-describedby="miss-${a.id}"` : ''}>${a.caption[l] ?? ''}</textarea>
<label for="alt-${a.id}-${l}">${t('album.alt', { language: languageName(l) })}</label>
<input id="alt-${a.id}-${l}" name="alt.${a.id}.${l}" value="${a.altText[l] ?? ''}"!${lang}>
</div>`;
  }).join('\n');
}

function row(ctx: AdminContext, t: ReturnType<typeof albumStrings.translator>, event: EventRow, album: AlbumRow, a: AssetWithMedia, i: number, count: number): string {
  const missing = missingCaptions(a, event.locales);
  const thumb = a.renditions.some((r) => r.name === 'thumb.webp')
    ? html`<img src="${adminHref(ctx, `media/${a.id}`)}" alt="" width="120" loading="lazy">`
    : html`<span class="admin-nothumb" dir="ltr">${a.originalFilename}</span>`;
  const states = [a.hidden && t('album.hidden'), a.status === 'processing' && t('album.processing'), a.status === 'failed' && t('album.failed'), album.coverAssetId === a.id && t('album.isCover')].filter(Boolean) as string[];
  return html`<li class="admin-item" id="item-${a.id}" data-id="${a.id}"!${missing.length > 0 ? ' data-missing="true"' : ''}>
<div class="admin-item-head">
<span class="admin-handle" draggable="true" aria-hidden="true">⠿</span>
<input type="checkbox" name="select" value="${a.id}" id="sel-${a.id}"><label for="sel-${a.id}" class="admin-visually-hidden">${t('album.select')} ${a.originalFilename}</label>
!${thumb}
!${states.map((s) => html`<span class="admin-flag">${s}</span>`).join(' ')}
!${missing.length > 0 ? html`<span class="admin-flag admin-flag-missing" id="miss-${a.id}">${t('album.missingIn', { languages: missing.map((l) => isLocale(l) ? languageName(l) : l).join(ctx.dir === 'rtl' ? '، ' : ', ') })}</span>` : ''}
</div>
<div class="admin-langs">!${textFields(ctx, t, a, event.locales)}</div>
<div class="admin-item-meta">
<p class="admin-field"><label for="credit-${a.id}">${t('album.credit')}</label><input id="credit-${a.id}" name="credit.${a.id}" value="${a.credit ?? ''}"></p>
<p class="admin-field"><label for="license-${a.id}">${t('album.license')}</label><select id="license-${a.id}" name="license.${a.id}">
<option value="">${t('album.licenseDefault')}</option>!${LICENSES.map((l) => html`<option value="${l.id}"!${a.license === l.id ? ' selected' : ''}>${l.name[ctx.locale]}</option>`)}</select></p>
<p class="admin-moves">
<button type="submit" name="move" value="${a.id}:up"!${i === 0 ? ' disabled' : ''}>${t('album.moveUp')}</button>
<button type="submit" name="move" value="${a.id}:down"!${i === count - 1 ? ' disabled' : ''}>${t('album.moveDown')}</button>
!${album.coverAssetId === a.id ? '' : html`<button type="submit" name="cover" value="${a.id}">${t('album.setCover')}</button>`}
<button type="submit" name="${a.hidden ? 'unhide' : 'hide'}" value="${a.id}" class="admin-takedown">${t(a.hidden ? 'album.bulk.unhide' : 'album.bulk.hide')}</button>
</p></div>
</li>`;
}

function bulk(ctx: AdminContext, t: ReturnType<typeof albumStrings.translator>, event: EventRow, albums: AlbumRow[], album: AlbumRow): string {
  const others = albums.filter((a) => a.id !== album.id);
  const actions = ['hide', 'unhide', 'move', 'credit', 'license', 'delete'] as const;
  return html`<fieldset class="admin-bulk"><legend>${t('album.bulk')}</legend>
<p class="admin-select-all" hidden><label><input type="checkbox" id="select-all"> ${t('album.selectAll')}</label></p>
<p class="admin-field"><label for="bulk-action">${t('album.bulkAction')}</label><select id="bulk-action" name="bulkAction">!${actions.map((a) => html`<option value="${a}">${t(`album.bulk.${a}`)}</option>`)}</select></p>
<p class="admin-field"><label for="bulk-album">${t('album.bulkAlbum')}</label><select id="bulk-album" name="bulkAlbum">!${others.map((a) => html`<option value="${a.slug}">${a.title[ctx.locale] ?? a.title[event.defaultLocale] ?? a.slug}</option>`)}</select></p>
<p class="admin-field"><label for="bulk-credit">${t('album.bulkCredit')}</label><input id="bulk-credit" name="bulkCredit"></p>
<p class="admin-field"><label for="bulk-license">${t('album.bulkLicense')}</label><select id="bulk-license" name="bulkLicense"><option value="">${t('album.licenseDefault')}</option>!${LICENSES.map((l) => html`<option value="${l.id}">${l.name[ctx.locale]}</option>`)}</select></p>
<p><button type="submit" name="intent" value="bulk">${t('album.bulkApply')}</button></p>
</fieldset>`;
}

export function albumItems(ctx: AdminContext, o: { event: EventRow; album: AlbumRow; albums: AlbumRow[]; items: AssetWithMedia[]; missingOnly: boolean }): string {
  const t = albumStrings.translator(ctx.locale);
  const base = adminHref(ctx, `e/${encodeURIComponent(o.event.slug)}/a/${encodeURIComponent(o.album.slug)}`);
  const shown = o.missingOnly ? o.items.filter((a) => missingCaptions(a, o.event.locales).length > 0) : o.items;
  const filter = html`<nav class="admin-filter" aria-label="${t('album.items')}"><a href="${base}"!${o.missingOnly ? '' : ' aria-current="page"'}>${t('album.filterAll')} (${ctx.n(o.items.length)})</a>
<a href="${base}?missing=1"!${o.missingOnly ? ' aria-current="page"' : ''}>${t('album.filterMissing')} (${ctx.n(o.items.filter((a) => missingCaptions(a, o.event.locales).length > 0).length)})</a></nav>`;
  if (o.items.length === 0) return html`<section aria-labelledby="items-title"><h2 id="items-title">${t('album.items')}</h2><p>${t('album.empty')}</p></section>`;
  return html`<section aria-labelledby="items-title"><h2 id="items-title">${t('album.items')}</h2>
!${filter}
<p class="admin-help" id="order-help">${t('album.dragHint')}</p>
<form method="post" action="${base}/items" class="admin-items-form" data-order-url="${base}/order">
!${csrfField(ctx)}
!${o.missingOnly ? '<input type="hidden" name="missing" value="1">' : ''}
<p><button type="submit" name="intent" value="save">${t('album.saveAll')}</button></p>
<ol class="admin-items" aria-describedby="order-help"!${o.missingOnly ? '' : ' data-sortable="true"'}>!${shown.map((a) => row(ctx, t, o.event, o.album, a, o.items.indexOf(a), o.items.length))}</ol>
<p><button type="submit" name="intent" value="save">${t('album.saveAll')}</button></p>
!${bulk(ctx, t, o.event, o.albums, o.album)}
</form>
<p id="order-status" role="status" aria-live="polite" class="admin-help"></p>
</section>`;
}
