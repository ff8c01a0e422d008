/** The 404 page, in the visitor's language: the same for what does not exist and what is not public. */
import { html } from 'ghtml';
import { href, type PageContext } from '../context.js';
import { layout } from '../layout.js';

export function notFoundPage(ctx: PageContext): string {
  return layout(ctx, {
    title: ctx.t('notFound.title'),
    crumbs: [{ label: ctx.t('nav.events'), href: href(ctx, '') }, { label: ctx.t('notFound.title') }],
    body: html`<header class="page-head"><h1>${ctx.t('notFound.title')}</h1></header>
<p>${ctx.t('notFound.body')}</p>
<p><a href="${href(ctx, '')}">${ctx.t('notFound.home')}</a></p>`,
    bodyClass: 'not-found',
    noindex: true,
  });
}
