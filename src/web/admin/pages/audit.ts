/** The audit log page: who did what when, with the edited text before and after. */
import { html } from 'ghtml';
import type { AuditRow } from '../../../db/audit.js';
import type { EventRow } from '../../../db/events.js';
import { titleOf } from '../../i18n.js';
import { auditStrings } from '../../locales/admin/audit.js';
import { adminHref, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';

export interface AuditView {
  entries: AuditRow[];
  nextCursor: string | null;
  /** the events an admin may filter by (none for an editor) */
  events: EventRow[];
  event?: string | undefined;
}

type ActionKey = Parameters<ReturnType<typeof auditStrings.translator>>[0];

/** A field's value as a short text: a multilingual text as "ar: …; en: …". */
function show(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'object' && !Array.isArray(value)) {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return parts.length === 0 ? '–' : parts.join('; ');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function change(e: AuditRow): string {
  const keys = [...new Set([...Object.keys(e.before ?? {}), ...Object.keys(e.after ?? {})])];
  return keys.map((k) => html`<div class="admin-change"><span dir="ltr">${k}</span>: <bdi>${show(e.before?.[k])}</bdi> → <bdi>${show(e.after?.[k])}</bdi></div>`).join('');
}

export function auditPage(ctx: AdminContext, v: AuditView): string {
  const t = auditStrings.translator(ctx.locale);
  const when = new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  const admin = ctx.user?.role === 'admin';
  const filter = admin ? html`<form method="get" action="${adminHref(ctx, 'audit')}" class="admin-inline">
<label for="audit-event">${t('audit.event')}</label> <select id="audit-event" name="event"><option value="">${t('audit.allEvents')}</option>!${v.events.map((e) => html`<option value="${e.slug}"!${v.event === e.slug ? ' selected' : ''}>${titleOf(e, e, ctx.locale).text}</option>`)}</select>
<button type="submit">${t('audit.filter')}</button></form>` : '';
  const rows = v.entries.map((e) => {
    const action = `audit.action.${e.action}` as ActionKey;
    return html`<tr data-action="${e.action}"><td><time datetime="${e.at.toISOString()}">${when.format(e.at)} UTC</time></td>
<td><bdi>${e.tokenLabel ?? '–'}</bdi> <span class="admin-help">${e.role ?? ''}</span></td>
<td>${t(action) ?? e.action}</td>
<td><bdi>${e.targetLabel ?? ''}</bdi>!${e.eventSlug && admin ? html` <span class="admin-help" dir="ltr">${e.eventSlug}</span>` : ''}</td>
<td>!${change(e)}</td></tr>`;
  }).join('\n');
  const more = v.nextCursor ? html`<p><a href="${adminHref(ctx, 'audit')}?cursor=${v.nextCursor}${v.event ? `&event=${encodeURIComponent(v.event)}` : ''}">${t('audit.more')}</a></p>` : '';
  const body = html`<header class="page-head"><h1>${t('audit.title')}</h1><p class="lede">${t(admin ? 'audit.lede.admin' : 'audit.lede.editor')}</p></header>
!${filter}
!${v.entries.length === 0 ? html`<p>${t('audit.empty')}</p>` : html`<table class="admin-table"><thead><tr><th scope="col">${t('audit.when')}</th><th scope="col">${t('audit.who')}</th><th scope="col">${t('audit.what')}</th><th scope="col">${t('audit.target')}</th><th scope="col">${t('audit.change')}</th></tr></thead>
<tbody>!${rows}</tbody></table>`}
!${more}`;
  return adminLayout(ctx, { title: t('audit.title'), body });
}
