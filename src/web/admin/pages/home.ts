/** The overview: the events the organiser looks after, each with its state and its public page. */
import { html } from 'ghtml';
import { adminLayout } from '../layout.js';
import { adminHref, type AdminContext } from '../context.js';
import { auditStrings } from '../../locales/admin/audit.js';
import { eventStrings } from '../../locales/admin/event.js';
import { opsStrings } from '../../locales/admin/ops.js';
import { titleOf } from '../../i18n.js';
import type { EventRow } from '../../../db/events.js';

export function homePage(ctx: AdminContext, events: EventRow[]): string {
  const title = ctx.tc('home.title');
  const scope = ctx.user?.role === 'admin' ? ctx.tc('home.scope.admin') : ctx.tc('home.scope.editor');
  const list = events.length === 0
    ? html`<p>${ctx.tc('home.empty')}</p>`
    : html`<ul class="admin-events">!${events.map((e) => {
      const t = titleOf(e, e, ctx.locale);
      return html`<li data-event="${e.slug}"><a href="${adminHref(ctx, `e/${encodeURIComponent(e.slug)}`)}" lang="${t.lang}" dir="${t.dir}">${t.text}</a>
<span class="admin-status admin-status-${e.status}">${ctx.tc(e.status === 'published' ? 'status.published' : 'status.draft')}</span>
<a href="/${ctx.locale}/e/${encodeURIComponent(e.slug)}" dir="ltr">/e/${e.slug}</a></li>`;
    })}</ul>`;
  const body = html`<header class="page-head"><h1>${title}</h1><p class="lede">${scope}</p></header>
!${list}
!${ctx.user?.role === 'admin' ? html`<p><a href="${adminHref(ctx, 'events/new')}">${eventStrings.translator(ctx.locale)('event.new')}</a></p>` : ''}
<p><a href="${adminHref(ctx, 'processing')}">${opsStrings.translator(ctx.locale)('ops.processing.title')}</a></p>
<p><a href="${adminHref(ctx, 'audit')}">${auditStrings.translator(ctx.locale)('audit.title')}</a></p>`;
  return adminLayout(ctx, { title, body });
}
