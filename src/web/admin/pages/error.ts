/** A console action that was refused, in the organiser's language; the server's own words (English) under Details. */
import { html } from 'ghtml';
import { adminLayout } from '../layout.js';
import { adminHref, type AdminContext } from '../context.js';
import type { ConsoleKey } from '../../locales/admin/console.js';

export function errorPage(ctx: AdminContext, reason: ConsoleKey, details?: string): string {
  const title = ctx.tc('error.title');
  const body = html`<header class="page-head"><h1>${title}</h1></header>
<p class="admin-problem" role="alert">${ctx.tc(reason)}</p>
!${details ? html`<details><summary>${ctx.tc('error.details')}</summary><p lang="en" dir="ltr">${details}</p></details>` : ''}
<p><a href="${adminHref(ctx)}">${ctx.tc('error.back')}</a></p>`;
  return adminLayout(ctx, { title, body });
}
