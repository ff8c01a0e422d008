/**
 * Choosing text for the visitor: multilingual fields with their fallback, writing direction,
 * and dates in the locale's own format.
 */
import { RTL_LOCALES, type Locale } from '../locales.js';
import { TEXT } from './locales/index.js';

export type Dir = 'rtl' | 'ltr';

/** Writing direction of a BCP-47 tag: right-to-left for Arabic-script languages Lamha uses. */
export function dirOf(tag: string): Dir {
  const lang = tag.toLowerCase().split('-')[0]!;
  return RTL_LOCALES.has(lang) || lang === 'fa' || lang === 'he' || lang === 'ur' ? 'rtl' : 'ltr';
}

/** Text in one language, with the language it is in (which may differ from the page's). */
export interface Text {
  text: string;
  lang: string;
  dir: Dir;
}

/**
 * The visitor's language if the field has it, else the event's default language, else the
 * first of the event's languages that has text. Blank text counts as missing.
 */
export function pick(field: Record<string, string> | null | undefined, locale: string, defaultLocale: string, locales: readonly string[] = []): Text | null {
  if (!field) return null;
  for (const tag of [locale, defaultLocale, ...locales, ...Object.keys(field)]) {
    const text = field[tag];
    if (typeof text === 'string' && text.trim() !== '') return { text, lang: tag, dir: dirOf(tag) };
  }
  return null;
}

/** A title in the visitor's language (with fallbacks); the slug when there is no text at all. */
export function titleOf(thing: { title: Record<string, string>; slug: string }, event: { defaultLocale: string; locales: readonly string[] }, locale: string): Text {
  return pick(thing.title, locale, event.defaultLocale, event.locales) ?? { text: thing.slug, lang: 'und', dir: 'ltr' };
}

const formats = new Map<string, { one: Intl.DateTimeFormat; native: boolean }>();

function format(locale: Locale) {
  let f = formats.get(locale);
  if (!f) {
    // A Node built with reduced ICU data silently formats an unknown locale in English; then
    // the month names in Lamha's own locale text are used instead.
    const native = Intl.DateTimeFormat.supportedLocalesOf([locale]).length === 1;
    f = { one: new Intl.DateTimeFormat(native ? locale : 'en', { dateStyle: 'long', timeZone: 'UTC' }), native };
    formats.set(locale, f);
  }
  return f;
}

function parseDay(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** A calendar day ('2026-12-01') in the locale's format. */
export function formatDay(day: string, locale: Locale): string {
  const f = format(locale);
  const d = parseDay(day);
  return f.native ? f.one.format(d) : fallbackDay(d, locale);
}

/** An event's dates: one day, or a range in the locale's way of writing ranges. */
export function formatDays(start: string, end: string, locale: Locale): string {
  if (start === end) return formatDay(start, locale);
  const f = format(locale);
  return f.native ? f.one.formatRange(parseDay(start), parseDay(end)) : `${fallbackDay(parseDay(start), locale)} – ${fallbackDay(parseDay(end), locale)}`;
}

/** "1 December 2026" from Lamha's own month names, digits as the locale writes them. */
export function fallbackDay(d: Date, locale: Locale): string {
  const digits = new Intl.NumberFormat(locale === 'ckb' ? 'ckb' : 'en', { useGrouping: false });
  return `${digits.format(d.getUTCDate())} ${TEXT[locale].months[d.getUTCMonth()]} ${digits.format(d.getUTCFullYear())}`;
}
