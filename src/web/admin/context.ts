/** What every console template knows besides a gallery page's: who is signed in and the form token. */
import { html } from 'ghtml';
import type { Locale } from '../../locales.js';
import { pageContext, type PageContext } from '../context.js';
import { consoleStrings } from '../locales/admin/console.js';

export interface AdminUser {
  role: 'admin' | 'editor';
  label: string;
  /** the editor's event; null for an admin */
  eventId: string | null;
}

export interface AdminContext extends PageContext {
  /** this session's CSRF token, for every form the page holds */
  csrf: string;
  /** null on the sign-in page */
  user: AdminUser | null;
  /** the console's own strings (an area's pages make their own translator for theirs) */
  tc: ReturnType<typeof consoleStrings.translator>;
}

/** `path`: after `/{locale}/admin/`, '' for the overview. */
export function adminContext(o: { locale: Locale; publicUrl: string; path: string; csrf: string; user: AdminUser | null }): AdminContext {
  const page = pageContext({ locale: o.locale, publicUrl: o.publicUrl, path: o.path === '' ? 'admin' : `admin/${o.path}` });
  return { ...page, csrf: o.csrf, user: o.user, tc: consoleStrings.translator(o.locale) };
}

/** A link inside the console in the page's locale: `adminHref(ctx, 'e/conf')` → `/ar/admin/e/conf`. */
export function adminHref(ctx: { locale: Locale }, path = ''): string {
  return path === '' ? `/${ctx.locale}/admin` : `/${ctx.locale}/admin/${path}`;
}

/** The hidden field every console form carries (@fastify/csrf-protection reads `_csrf`). */
export function csrfField(ctx: AdminContext): string {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}
