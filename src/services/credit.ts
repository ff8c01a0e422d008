/**
 * How an asset is credited and licensed, as the gallery shows it, press files carry it and the
 * archive's manifest lists it: the asset's own licence, else its event's default; its credit
 * through the event's credit template ("{credit} / {event}", "Photo: {credit}, {year}").
 */
import { isLocale } from '../locales.js';
import { licenseById } from '../licenses.js';

export interface EffectiveLicense {
  /** the catalogue id; null for a licence written as text before the catalogue */
  id: string | null;
  short: string;
  name: string;
  url: string | null;
}

export const DEFAULT_CREDIT_TEMPLATE = '{credit}';
/** What a template may name. */
export const CREDIT_PLACEHOLDERS = ['{credit}', '{event}', '{year}'] as const;

export function effectiveLicense(assetLicense: string | null, eventDefault: string | null, locale: string): EffectiveLicense | null {
  const own = assetLicense?.trim() || null;
  const entry = licenseById(own ?? eventDefault);
  if (entry) return { id: entry.id, short: entry.short, name: entry.name[isLocale(locale) ? locale : 'en'], url: entry.url(locale) };
  return own ? { id: null, short: own, name: own, url: null } : null;
}

/** The credit as the event wants it written; null when the asset names no one. */
export function creditLine(template: string | null, credit: string | null, eventTitle: string, year: number): string | null {
  const who = credit?.trim();
  if (!who) return null;
  return (template || DEFAULT_CREDIT_TEMPLATE)
    .replaceAll('{credit}', who)
    .replaceAll('{event}', eventTitle)
    .replaceAll('{year}', String(year))
    .trim();
}

/** creditLine of an asset row, in its event's default language. */
export function assetCreditLine(a: { credit: string | null; eventCreditTemplate: string; eventTitle: Record<string, string>; eventDefaultLocale: string; capturedAt: Date | null; createdAt: Date }, locale = a.eventDefaultLocale): string | null {
  const title = a.eventTitle[locale] ?? a.eventTitle[a.eventDefaultLocale] ?? Object.values(a.eventTitle)[0] ?? '';
  return creditLine(a.eventCreditTemplate, a.credit, title, (a.capturedAt ?? a.createdAt).getUTCFullYear());
}
