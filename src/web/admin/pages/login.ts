/** The sign-in page: one field for a token or a link that holds one; works without JavaScript. */
import { html } from 'ghtml';
import { adminLayout } from '../layout.js';
import { csrfField, type AdminContext } from '../context.js';
import type { ConsoleKey } from '../../locales/admin/console.js';

export interface LoginView {
  /** why the visitor is here: signed out, session over, or a refused attempt */
  notice?: ConsoleKey | undefined;
  refused?: boolean;
  /** where to go once signed in (a console path, already checked) */
  next?: string | undefined;
}

export function loginPage(ctx: AdminContext, view: LoginView): string {
  const title = ctx.tc('login.title');
  const notice = view.notice
    ? html`<p id="admin-login-notice" class="${view.refused ? 'admin-problem' : 'admin-notice'}" role="${view.refused ? 'alert' : 'status'}">${ctx.tc(view.notice)}</p>`
    : '';
  const body = html`<header class="page-head"><h1>${title}</h1><p class="lede">${ctx.tc('login.intro')}</p></header>
!${notice}
<form class="admin-card admin-login" method="post" action="/admin/login">
!${csrfField(ctx)}<input type="hidden" name="lang" value="${ctx.locale}">
!${view.next ? html`<input type="hidden" name="next" value="${view.next}">` : ''}
<p class="admin-field"><label for="admin-token">${ctx.tc('login.token')}</label>
<input id="admin-token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" dir="ltr" required!${view.notice ? ' aria-describedby="admin-login-notice"' : ''}></p>
<p><button type="submit">${ctx.tc('login.submit')}</button></p>
</form>`;
  return adminLayout(ctx, { title, body });
}
