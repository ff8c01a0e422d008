/**
 * The console's strings are split by area: each area keeps its own file here (`events.ts`,
 * `captions.ts`, …) exporting `defineStrings(en, {ar, ku, ckb, fr})`, and its pages make their
 * own translator from it. No shared list of keys to edit: a new area adds a file, and
 * test/web/admin-locales.test.ts reads every file of this folder to check its translations.
 */
import type { Locale } from '../../../locales.js';
import { numberFormat } from '../index.js';

export type OtherLocale = Exclude<Locale, 'en'>;

export interface AdminStrings<K extends string> {
  readonly text: Readonly<Record<Locale, Readonly<Record<K, string>>>>;
  /** `t('events.count', { n: 3 })`: `{name}` placeholders filled in, numbers in the locale's digits */
  translator(locale: Locale): (key: K, vars?: Record<string, string | number>) => string;
}

/** English defines the keys; the type demands every other locale give each of them. */
export function defineStrings<const E extends Record<string, string>>(en: E, others: Record<OtherLocale, Record<keyof E, string>>): AdminStrings<keyof E & string> {
  type K = keyof E & string;
  const text = { en, ...others } as Record<Locale, Record<K, string>>;
  return {
    text,
    translator(locale) {
      const strings = text[locale];
      const num = numberFormat(locale);
      return (key, vars) => {
        const s = strings[key];
        if (!vars) return s;
        return s.replace(/\{(\w+)\}/g, (m, name: string) => {
          const v = vars[name];
          return v === undefined ? m : typeof v === 'number' ? num(v) : v;
        });
      };
    },
  };
}
