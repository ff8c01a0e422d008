/** Interface text of every locale Lamha speaks, and the lookups the templates use. */
import { isLocale, type Locale } from '../../locales.js';
import { ar } from './ar.js';
import { ckb } from './ckb.js';
import { en, type LocaleText, type StringKey } from './en.js';
import { fr } from './fr.js';
import { ku } from './ku.js';

export type { LocaleText, StringKey, Strings } from './en.js';

export const TEXT: Readonly<Record<Locale, LocaleText>> = { ar, en, ku, ckb, fr };

/** The keys client scripts read from the page's `#lamha-strings` JSON. */
export const CLIENT_KEYS = [
  'lightbox.close', 'lightbox.next', 'lightbox.previous', 'lightbox.download', 'lightbox.zoom', 'lightbox.counterOf',
  'player.subtitles', 'player.off', 'live.newItem', 'live.reconnecting', 'error.loadFailed',
  'lightbox.downloadDocument',
] as const satisfies readonly StringKey[];

/** Numbers as the locale writes them (Sorani in Eastern Arabic digits, like its dates). */
export function numberFormat(locale: Locale): (n: number) => string {
  const f = new Intl.NumberFormat(locale);
  return (n) => f.format(n);
}

/** A translator for one locale: `t('album.pageOf', { n: 2, total: 5 })`; numbers in the locale's digits. */
export function translator(locale: Locale) {
  const strings = TEXT[locale].strings;
  const num = numberFormat(locale);
  return (key: StringKey, vars?: Record<string, string | number>): string => {
    const s = strings[key];
    if (!vars) return s;
    return s.replace(/\{(\w+)\}/g, (m, name: string) => {
      const v = vars[name];
      return v === undefined ? m : typeof v === 'number' ? num(v) : v;
    });
  };
}

export type Translate = ReturnType<typeof translator>;

/** The language's own name, or the tag itself for a language Lamha has no text for. */
export function languageName(tag: string): string {
  return isLocale(tag) ? TEXT[tag].name : tag;
}
