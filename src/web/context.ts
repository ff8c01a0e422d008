/** What every template knows about the request it renders for. */
import { LOCALES, type Locale } from '../locales.js';
import { dirOf, type Dir } from './i18n.js';
import { numberFormat, translator, type Translate } from './locales/index.js';

export interface PageContext {
  locale: Locale;
  dir: Dir;
  t: Translate;
  /** a number in the locale's digits */
  n: (n: number) => string;
  /** PUBLIC_URL, no trailing slash */
  publicUrl: string;
  /** the page's path after `/{locale}/`, e.g. 'e/conf/day-1' ('' for the events list) */
  path: string;
  /** locales the page's content exists in (hreflang alternates) */
  contentLocales: readonly Locale[];
  /** the content's own default locale (x-default and the canonical page of a locale it lacks) */
  defaultLocale: Locale;
}

export function pageContext(o: { locale: Locale; publicUrl: string; path: string; contentLocales?: readonly string[]; defaultLocale?: string }): PageContext {
  const contentLocales = LOCALES.filter((l) => !o.contentLocales || o.contentLocales.includes(l));
  const defaultLocale = LOCALES.find((l) => l === o.defaultLocale) ?? (contentLocales.includes(o.locale) ? o.locale : contentLocales[0] ?? 'en');
  return { locale: o.locale, dir: dirOf(o.locale), t: translator(o.locale), n: numberFormat(o.locale), publicUrl: o.publicUrl, path: o.path, contentLocales, defaultLocale };
}

/** A site-relative link to `path` in the page's locale (or another). */
export function href(ctx: PageContext, path: string, locale: Locale = ctx.locale): string {
  return `/${locale}/${path}`;
}

/** The absolute URL of `path` in `locale`, for canonical, hreflang and share tags. */
export function absolute(ctx: PageContext, path: string, locale: Locale = ctx.locale): string {
  return `${ctx.publicUrl}/${locale}/${path}`;
}

/** Path segments are slugs and ids, but encode anyway: a path is never trusted to be clean. */
export function pathOf(...segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}
