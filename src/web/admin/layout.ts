/**
 * The console's frame, inside the gallery's page shell (language, direction, switcher, skip
 * link): the console's navigation, who is signed in, and the sign-out form. An area's pages
 * pass their own links in `nav`, so areas never edit this file.
 */
import { html } from 'ghtml';
import { layout, scriptJson, type Crumb } from '../layout.js';
import { staticUrl } from '../../routes/static/files.js';
import { adminHref, csrfField, type AdminContext } from './context.js';

export interface NavItem {
  label: string;
  href: string;
  current?: boolean;
}

export interface AdminLayoutInput {
  title: string;
  body: string;
  /** crumbs after the console's own */
  crumbs?: Crumb[];
  /** links after the overview's in the console's navigation */
  nav?: NavItem[];
  scripts?: { src: string; module?: boolean }[];
  styles?: string[];
  /** strings the page's scripts read from `#lamha-admin-strings` */
  clientStrings?: Record<string, string>;
}

function navigation(ctx: AdminContext, items: NavItem[]): string {
  if (!ctx.user) return '';
  const home: NavItem = { label: ctx.tc('nav.home'), href: adminHref(ctx), current: ctx.path === 'admin' };
  return html`<nav class="admin-nav" aria-label="${ctx.tc('nav.label')}"><ul>!${[home, ...items].map((i) => html`<li><a href="${i.href}"!${i.current ? ' aria-current="page"' : ''}>${i.label}</a></li>`)}
<li><a href="/${ctx.locale}/">${ctx.tc('nav.gallery')}</a></li></ul>
<form class="admin-signout" method="post" action="/admin/logout">!${csrfField(ctx)}<input type="hidden" name="lang" value="${ctx.locale}">
<span class="admin-who">${ctx.tc('nav.signedInAs', { label: ctx.user.label, role: ctx.tc(ctx.user.role === 'admin' ? 'role.admin' : 'role.editor') })}</span>
<button type="submit">${ctx.tc('nav.signOut')}</button></form></nav>`;
}

export function adminLayout(ctx: AdminContext, input: AdminLayoutInput): string {
  const crumbs: Crumb[] = [{ label: ctx.tc('console.title'), href: adminHref(ctx) }, ...(input.crumbs ?? []), { label: input.title }];
  const strings = input.clientStrings ? html`<script type="application/json" id="lamha-admin-strings">!${scriptJson(input.clientStrings)}</script>` : '';
  return layout(ctx, {
    title: input.title,
    crumbs,
    body: `${navigation(ctx, input.nav ?? [])}\n${strings}\n${input.body}`,
    bodyClass: 'admin',
    noindex: true,
    styles: [staticUrl('admin.css'), ...(input.styles ?? [])],
    scripts: [{ src: staticUrl('admin.js'), module: true }, ...(input.scripts ?? [])],
  });
}
