/** The processing page (failures with their reason in words, retry, the queues) and an event's dashboard. */
import { html } from 'ghtml';
import type { EventDashboard } from '../../../db/operations.js';
import type { EventRow } from '../../../db/events.js';
import type { Locale } from '../../../locales.js';
import type { ProcessingState } from '../../../services/operations.js';
import { titleOf } from '../../i18n.js';
import { TEXT } from '../../locales/index.js';
import { opsStrings } from '../../locales/admin/ops.js';
import { adminHref, csrfField, type AdminContext } from '../context.js';
import { adminLayout } from '../layout.js';

type T = ReturnType<typeof opsStrings.translator>;
type Key = Parameters<T>[0];

/** What a running job does, in the reader's words; a job this console does not know by its name. */
export function jobInWords(t: T, job: Pick<ProcessingState['running'][number], 'name' | 'rungs' | 'piece'>): string {
  const key = `ops.job.${job.name}`;
  if (!(key in opsStrings.text.en)) return job.name;
  return t(key as Key, { rungs: job.rungs?.join(', ') ?? '', n: (job.piece ?? 0) + 1 });
}

/** A worker's reason (`LAMHA_CODE: message`) in the reader's words where the code is known, else as it is. */
export function reasonInWords(locale: Locale, reason: string | null): string {
  if (!reason) return '';
  const code = /^(LAMHA_[A-Z0-9_]+):?\s*/.exec(reason);
  const words = code ? (TEXT[locale].strings as Record<string, string>)[`upload.error.${code[1]}`] : undefined;
  return words ?? reason;
}

export function formatBytes(locale: Locale, bytes: number): string {
  const [unit, size] = bytes >= 1e9 ? ['gigabyte', bytes / 1e9] as const : bytes >= 1e6 ? ['megabyte', bytes / 1e6] as const : ['kilobyte', bytes / 1e3] as const;
  return new Intl.NumberFormat(locale, { style: 'unit', unit, maximumFractionDigits: 1 }).format(size);
}

export function processingPage(ctx: AdminContext, s: ProcessingState & { event: EventRow | undefined }, events: EventRow[], retried: boolean): string {
  const t = opsStrings.translator(ctx.locale);
  const num = new Intl.NumberFormat(ctx.locale);
  const when = new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  const base = adminHref(ctx, 'processing');
  const filter = events.length > 0 ? html`<form method="get" action="${base}" class="admin-inline"><label for="ops-event">${t('ops.event')}</label>
<select id="ops-event" name="event"><option value="">${t('ops.allEvents')}</option>!${events.map((e) => html`<option value="${e.slug}"!${s.event?.slug === e.slug ? ' selected' : ''}>${titleOf(e, e, ctx.locale).text}</option>`)}</select>
<button type="submit">${t('ops.show')}</button></form>` : '';
  const queues = html`<table class="admin-table"><thead><tr><th scope="col">${t('ops.queue')}</th><th scope="col">${t('ops.waiting')}</th><th scope="col">${t('ops.active')}</th><th scope="col">${t('ops.delayed')}</th><th scope="col">${t('ops.failedJobs')}</th></tr></thead>
<tbody>!${s.queues.map((q) => html`<tr data-queue="${q.queue}"><th scope="row">${t(`ops.queue.${q.queue}` as Key)}</th><td>${num.format(q.waiting)}</td><td>${num.format(q.active)}</td><td>${num.format(q.delayed)}</td><td>${num.format(q.failed)}</td></tr>`)}</tbody></table>`;
  const running = s.running.length === 0 ? html`<p>${t('ops.nothingRunning')}</p>` : html`<ul>!${s.running.map((r) => html`<li data-asset="${r.assetId ?? ''}" data-job="${r.name}">${t(`ops.queue.${r.queue}` as Key)} · ${jobInWords(t, r)}!${r.progress !== null ? html` · ${t('ops.progress', { n: r.progress })}` : ''}</li>`)}</ul>`;
  const failed = s.failed.length === 0 ? html`<p>${t('ops.noFailures')}</p>` : html`<table class="admin-table"><thead><tr><th scope="col">${t('ops.file')}</th><th scope="col">${t('ops.reason')}</th><th scope="col"></th></tr></thead><tbody>
!${s.failed.map((f) => html`<tr data-id="${f.id}"><td><bdi>${f.originalFilename}</bdi> <span class="admin-help" dir="ltr">${f.eventSlug}/${f.albumSlug}</span><br><time datetime="${f.updatedAt.toISOString()}">${when.format(f.updatedAt)} UTC</time></td>
<td class="admin-reason">${reasonInWords(ctx.locale, f.error)}</td>
<td><form method="post" action="${base}/${f.id}/retry">!${csrfField(ctx)}<button type="submit">${t('ops.retry')}</button></form></td></tr>`)}</tbody></table>`;
  const body = html`<header class="page-head"><h1>${t('ops.processing.title')}</h1><p class="lede">${t('ops.processing.lede')}</p></header>
!${retried ? html`<div class="admin-notice" role="status"><p>${t('ops.retried')}</p></div>` : ''}
!${filter}
<section aria-labelledby="failed-title"><h2 id="failed-title">${t('ops.failed')}</h2>!${failed}</section>
<section aria-labelledby="running-title"><h2 id="running-title">${t('ops.running')}</h2>!${running}</section>
<section aria-labelledby="queues-title"><h2 id="queues-title">${t('ops.queues')}</h2>!${queues}
!${ctx.user?.role === 'admin' ? html`<p><a href="/admin/queues">${t('ops.queueDashboard', { tool: 'BullMQ' })}</a></p>` : ''}</section>`;
  return adminLayout(ctx, { title: t('ops.processing.title'), body });
}

export function dashboardPage(ctx: AdminContext, d: EventDashboard & { event: EventRow }): string {
  const t = opsStrings.translator(ctx.locale);
  const num = new Intl.NumberFormat(ctx.locale);
  const hour = new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' });
  const most = Math.max(1, ...d.byHour.map((h) => h.count));
  const row = (label: string, n: number, key: string) => html`<tr data-count="${key}"><th scope="row">${label}</th><td>${num.format(n)}</td></tr>`;
  const body = html`<header class="page-head"><h1>${t('ops.dashboard.title')}</h1></header>
<section aria-labelledby="status-title"><h2 id="status-title">${t('ops.status')}</h2><table class="admin-table"><tbody>
!${row(t('ops.status.ready'), d.byStatus.ready, 'ready')}!${row(t('ops.status.processing'), d.byStatus.processing, 'processing')}!${row(t('ops.status.failed'), d.byStatus.failed, 'failed')}
!${row(t('ops.hidden'), d.hidden, 'hidden')}!${row(t('ops.awaiting'), d.awaitingApproval, 'awaiting')}</tbody></table></section>
<section aria-labelledby="uploaders-title"><h2 id="uploaders-title">${t('ops.uploaders')}</h2>
!${d.byUploader.length === 0 ? html`<p>${t('ops.none')}</p>` : html`<table class="admin-table"><thead><tr><th scope="col">${t('ops.uploader')}</th><th scope="col">${t('ops.count')}</th><th scope="col">${t('ops.size')}</th></tr></thead><tbody>
!${d.byUploader.map((u) => html`<tr><th scope="row"><bdi>${u.label ?? t('ops.unknownUploader')}</bdi></th><td>${num.format(u.count)}</td><td>${formatBytes(ctx.locale, u.bytes)}</td></tr>`)}</tbody></table>`}</section>
<section aria-labelledby="hours-title"><h2 id="hours-title">${t('ops.perHour')}</h2>
!${d.byHour.length === 0 ? html`<p>${t('ops.none')}</p>` : html`<table class="admin-table admin-bars"><thead><tr><th scope="col">${t('ops.hour')}</th><th scope="col">${t('ops.count')}</th></tr></thead><tbody>
!${d.byHour.map((h) => html`<tr><th scope="row"><time datetime="${h.hour.toISOString()}">${hour.format(h.hour)}</time></th><td><meter min="0" max="${most}" value="${h.count}"></meter> ${num.format(h.count)}</td></tr>`)}</tbody></table>`}</section>
<section aria-labelledby="storage-title"><h2 id="storage-title">${t('ops.storage')}</h2><table class="admin-table"><tbody>
<tr data-bytes="originals"><th scope="row">${t('ops.originals')}</th><td>${formatBytes(ctx.locale, d.storage.originalBytes)}</td></tr>
<tr data-bytes="renditions"><th scope="row">${t('ops.renditions')}</th><td>${formatBytes(ctx.locale, d.storage.renditionBytes)}</td></tr></tbody></table></section>`;
  const eventTitle = titleOf(d.event, d.event, ctx.locale);
  return adminLayout(ctx, { title: t('ops.dashboard.title'), crumbs: [{ label: eventTitle.text, href: adminHref(ctx, `e/${encodeURIComponent(d.event.slug)}`), lang: eventTitle.lang }], body });
}
