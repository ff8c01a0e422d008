/** The locales Lamha speaks; an event picks some of them. */
export const LOCALES = ['ar', 'en', 'ku', 'ckb', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export const RTL_LOCALES: ReadonlySet<string> = new Set(['ar', 'ckb']);

export function isLocale(tag: string): tag is Locale {
  return (LOCALES as readonly string[]).includes(tag);
}
