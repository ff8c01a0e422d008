/**
 * The page shell: head (language, direction, canonical, hreflang, share tags, client strings),
 * skip link, header with the language switcher, breadcrumbs, main landmark and footer.
 */
import { html } from 'ghtml';
import { LOCALES, type Locale } from '../locales.js';
import { absolute, href, type PageContext } from './context.js';
import { dirOf } from './i18n.js';
import { staticUrl } from '../routes/static/files.js';
import type { Candidate } from './media.js';
import { CLIENT_KEYS, TEXT, type StringKey } from './locales/index.js';

export interface Crumb {
  label: string;
  href?: string;
  lang?: string;
}

export interface Share {
  type: 'website' | 'article';
  description?: string | undefined;
  image?: Candidate | null | undefined;
  imageAlt?: string | undefined;
}

export interface LayoutInput {
  title: string;
  /** the <title>'s tail after the page title */
  crumbs: Crumb[];
  share?: Share;
  /** the <main>'s inner HTML, already escaped */
  body: string;
  bodyClass?: string;
  /** error pages: not indexed, no canonical or alternates */
  noindex?: boolean;
  /** the page's own scripts after the gallery's: classic ones deferred, modules as modules (both run in this order once the page is parsed) */
  scripts?: { src: string; module?: boolean }[];
  /** the page's own stylesheets after the gallery's */
  styles?: string[];
  /** interface strings the page's own scripts read, besides every page's CLIENT_KEYS */
  clientKeys?: readonly StringKey[];
}

/** Open Graph locales as Facebook names them: Sorani is `cb_IQ` there, not the ISO `ckb`. */
export const OG_LOCALE: Record<Locale, string> = { ar: 'ar_AR', en: 'en_GB', ku: 'ku_TR', ckb: 'cb_IQ', fr: 'fr_FR' };

/**
 * The page's canonical URL: itself when its content exists in its locale; otherwise the page
 * in the content's default language, which holds the same text (this one only changes the
 * interface around it), so search engines index one copy.
 */
export function canonicalUrl(ctx: PageContext): string {
  return absolute(ctx, ctx.path, ctx.contentLocales.includes(ctx.locale) ? ctx.locale : ctx.defaultLocale);
}

/** JSON inside <script>: no `<` can end the element early, and U+2028/9 stay escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function clientStrings(ctx: PageContext, extra: readonly StringKey[] = []): string {
  return scriptJson(Object.fromEntries([...CLIENT_KEYS, ...extra].map((k) => [k, ctx.t(k)])));
}

function alternates(ctx: PageContext): string {
  const links = ctx.contentLocales.map((l) => html`<link rel="alternate" hreflang="${l}" href="${absolute(ctx, ctx.path, l)}">`);
  // The events list's x-default is the root, which picks the language from the browser.
  const xDefault = ctx.path === '' ? `${ctx.publicUrl}/` : absolute(ctx, ctx.path, ctx.defaultLocale);
  links.push(html`<link rel="alternate" hreflang="x-default" href="${xDefault}">`);
  return links.join('\n');
}

function shareTags(ctx: PageContext, title: string, share: Share): string {
  const image = share.image;
  return html`<meta property="og:site_name" content="${ctx.t('site.name')}">
<meta property="og:type" content="${share.type}">
<meta property="og:title" content="${title}">
<meta property="og:url" content="${canonicalUrl(ctx)}">
<meta property="og:locale" content="${OG_LOCALE[ctx.locale]}">
!${share.description ? html`<meta property="og:description" content="${share.description}">
<meta name="twitter:description" content="${share.description}">` : ''}
<meta name="twitter:card" content="${image ? 'summary_large_image' : 'summary'}">
<meta name="twitter:title" content="${title}">
!${image ? html`<meta property="og:image" content="${image.url}">
<meta property="og:image:type" content="${image.type}">
<meta property="og:image:width" content="${image.width}">
<meta property="og:image:height" content="${image.height}">
<meta name="twitter:image" content="${image.url}">
!${share.imageAlt ? html`<meta property="og:image:alt" content="${share.imageAlt}">
<meta name="twitter:image:alt" content="${share.imageAlt}">` : ''}` : ''}`;
}

function languageSwitcher(ctx: PageContext): string {
  return html`<nav class="languages" aria-label="${ctx.t('nav.language')}"><ul>!${LOCALES.map((l) => html`<li><a href="${href(ctx, ctx.path, l)}" hreflang="${l}" lang="${l}" dir="${dirOf(l)}"!${l === ctx.locale ? ' aria-current="true"' : ''}>${TEXT[l].name}</a></li>`)}</ul></nav>`;
}

function breadcrumbs(ctx: PageContext, crumbs: Crumb[]): string {
  if (crumbs.length === 0) return '';
  return html`<nav class="crumbs" aria-label="${ctx.t('nav.breadcrumb')}"><ol>!${crumbs.map((c, i) => {
    const last = i === crumbs.length - 1;
    const lang = c.lang ? html` lang="${c.lang}" dir="${dirOf(c.lang)}"` : '';
    return last || !c.href
      ? html`<li><span!${lang}!${last ? ' aria-current="page"' : ''}>${c.label}</span></li>`
      : html`<li><a href="${c.href}"!${lang}>${c.label}</a></li>`;
  })}</ol></nav>`;
}

export function layout(ctx: PageContext, input: LayoutInput): string {
  const title = input.crumbs.length > 0 ? `${input.title} · ${ctx.t('site.name')}` : input.title;
  return html`<!doctype html>
<html lang="${ctx.locale}" dir="${ctx.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
!${input.share?.description ? html`<meta name="description" content="${input.share.description}">` : ''}
!${input.noindex ? '<meta name="robots" content="noindex">' : html`<link rel="canonical" href="${canonicalUrl(ctx)}">
!${alternates(ctx)}`}
!${input.share ? shareTags(ctx, input.title, input.share) : ''}
<link rel="stylesheet" href="${staticUrl('gallery.css')}">
!${(input.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`).join('\n')}
<script type="module" src="${staticUrl('gallery.js')}"></script>
!${(input.scripts ?? []).map((s) => s.module ? html`<script type="module" src="${s.src}"></script>` : html`<script defer src="${s.src}"></script>`).join('\n')}
<script type="application/json" id="lamha-strings">!${clientStrings(ctx, input.clientKeys)}</script>
</head>
<body!${input.bodyClass ? html` class="${input.bodyClass}"` : ''}>
<a class="skip" href="#main">${ctx.t('nav.skip')}</a>
<header class="site">
<a class="brand" href="${href(ctx, '')}">${ctx.t('site.name')}</a>
!${languageSwitcher(ctx)}
</header>
!${breadcrumbs(ctx, input.crumbs)}
<main id="main" tabindex="-1">
!${input.body}
</main>
<footer class="site"><p>${ctx.t('site.name')} · ${ctx.t('site.tagline')}</p></footer>
</body>
</html>
`;
}
