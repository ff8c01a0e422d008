/** The moderation page: an event's setting "uploads wait for approval" and the queue of waiting uploads. */
import { html } from 'ghtml';
import type { AssetWithMedia } from '../../../db/assets.js';
import type { EventRow } from '../../../db/events.js';
import { formatDay, pick, titleOf } from '../../i18n.js';
import { moderationStrings } from '../../locales/admin/moderation.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';

export interface ModerationView {
  event: EventRow;
  waiting: AssetWithMedia[];
  /** what was just done, said once */
  done?: 'approved' | 'rejected' | undefined;
}

export function moderationBase(ctx: Pick<AdminContext, 'locale'>, event: Pick<EventRow, 'slug'>): string {
  return adminHref(ctx, `e/${encodeURIComponent(event.slug)}/moderation`);
}

function item(ctx: AdminContext, t: ReturnType<typeof moderationStrings.translator>, event: EventRow, base: string, a: AssetWithMedia): string {
  const thumb = a.renditions.some((r) => r.name === 'thumb.webp')
    ? html`<img src="${adminHref(ctx, `media/${a.id}`)}" alt="" width="160" loading="lazy">`
    : html`<span class="admin-nothumb" dir="ltr">${a.originalFilename}</span>`;
  const caption = pick(a.caption, ctx.locale, event.defaultLocale, event.locales);
  const state = a.status === 'processing' ? t('moderation.processing') : a.status === 'failed' ? t('moderation.failed') : '';
  return html`<li class="admin-item" data-id="${a.id}">
<div class="admin-item-head">!${thumb}
<span dir="auto">${a.originalFilename}</span> <span class="admin-help">${a.albumSlug} · ${t('moderation.uploaded', { date: formatDay(a.createdAt.toISOString().slice(0, 10), ctx.locale) })}</span>
!${state ? html`<span class="admin-flag">${state}</span>` : ''}</div>
!${caption ? html`<p lang="${caption.lang}" dir="auto">${caption.text}</p>` : ''}
<div class="admin-moves">
<form method="post" action="${base}/${a.id}/approve" class="admin-inline">!${csrfField(ctx)}<button type="submit" class="admin-publish">${t('moderation.approve')}</button></form>
<form method="post" action="${base}/${a.id}/reject" class="admin-inline">!${csrfField(ctx)}<button type="submit" class="admin-danger">${t('moderation.reject')}</button></form>
</div></li>`;
}

export function moderationPage(ctx: AdminContext, v: ModerationView): string {
  const t = moderationStrings.translator(ctx.locale);
  const base = moderationBase(ctx, v.event);
  const on = v.event.moderation;
  const body = html`<header class="page-head"><h1>${t('moderation.title')}</h1></header>
!${v.done ? html`<div class="admin-notice" role="status"><p>${t(v.done === 'approved' ? 'moderation.approved' : 'moderation.rejected')}</p></div>` : ''}
<section class="admin-card" aria-labelledby="setting-title"><h2 id="setting-title">${t('moderation.setting')}</h2>
<p>${t(on ? 'moderation.on' : 'moderation.off')}</p>
<form method="post" action="${base}/setting">!${csrfField(ctx)}<input type="hidden" name="moderation" value="${on ? 'off' : 'on'}">
<button type="submit">${t(on ? 'moderation.turnOff' : 'moderation.turnOn')}</button></form></section>
<section aria-labelledby="queue-title"><h2 id="queue-title">${t('moderation.count', { n: v.waiting.length })}</h2>
!${v.waiting.length === 0 ? html`<p>${t('moderation.none')}</p>` : html`<ul class="admin-items">!${v.waiting.map((a) => item(ctx, t, v.event, base, a)).join('\n')}</ul>`}
</section>`;
  const eventTitle = titleOf(v.event, v.event, ctx.locale);
  return adminLayout(ctx, { title: t('moderation.title'), crumbs: [{ label: eventTitle.text, href: adminHref(ctx, `e/${encodeURIComponent(v.event.slug)}`), lang: eventTitle.lang }], body });
}
