/** Interface text of every locale Lamha speaks, and the lookups the templates use. */
import { isLocale, type Locale } from '../../services/locales.js';
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
] as const satisfies readonly StringKey[];

/** A translator for one locale: `t('album.pageOf', { n: 2, total: 5 })`. */
export function translator(locale: Locale) {
  const strings = TEXT[locale].strings;
  return (key: StringKey, vars?: Record<string, string | number>): string => {
    const s = strings[key];
    return vars ? s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : s;
  };
}

export type Translate = ReturnType<typeof translator>;

/** The language's own name, or the tag itself for a language Lamha has no text for. */
export function languageName(tag: string): string {
  return isLocale(tag) ? TEXT[tag].name : tag;
}
