/**
 * The licences an event or an asset can carry, by a stable id (SPDX where there is one), with
 * the name in each interface locale and the page a reader follows. Creative Commons names are
 * theirs (the deeds' own titles in Arabic and French); in Kurdish, for which Creative Commons
 * has no translated deed, the name is the English one with the short code, and the link goes to
 * the English deed. The short code ("CC BY 4.0") is the same in every language, as CC asks.
 */
import type { Locale } from './locales.js';

export interface LicenseEntry {
  id: string;
  /** "CC BY 4.0" */
  short: string;
  name: Record<Locale, string>;
  /** the deed in a locale CC translates it to, else English; null for all rights reserved */
  url(locale: string): string | null;
}

/** Languages Creative Commons publishes its 4.0 deeds in, of those Lamha's interface has. */
const DEED_LANGUAGES = new Set(['ar', 'en', 'fr']);

function cc(id: string, path: string, short: string, en: string, ar: string, fr: string): LicenseEntry {
  return {
    id,
    short,
    name: { en: `${short} (${en})`, ar: `${short} (${ar})`, fr: `${short} (${fr})`, ku: `${short} (${en})`, ckb: `${short} (${en})` },
    url: (locale) => `https://creativecommons.org/${path}/deed.${DEED_LANGUAGES.has(locale) ? locale : 'en'}`,
  };
}

export const LICENSES: readonly LicenseEntry[] = [
  cc('CC-BY-4.0', 'licenses/by/4.0', 'CC BY 4.0', 'Attribution 4.0 International', 'نَسب المُصنَّف 4.0 دولي', 'Attribution 4.0 International'),
  cc('CC-BY-SA-4.0', 'licenses/by-sa/4.0', 'CC BY-SA 4.0', 'Attribution-ShareAlike 4.0 International', 'نَسب المُصنَّف - الترخيص بالمثل 4.0 دولي', 'Attribution - Partage dans les Mêmes Conditions 4.0 International'),
  cc('CC-BY-NC-4.0', 'licenses/by-nc/4.0', 'CC BY-NC 4.0', 'Attribution-NonCommercial 4.0 International', 'نَسب المُصنَّف - غير تجاري 4.0 دولي', "Attribution - Pas d'Utilisation Commerciale 4.0 International"),
  cc('CC-BY-NC-SA-4.0', 'licenses/by-nc-sa/4.0', 'CC BY-NC-SA 4.0', 'Attribution-NonCommercial-ShareAlike 4.0 International', 'نَسب المُصنَّف - غير تجاري - الترخيص بالمثل 4.0 دولي', "Attribution - Pas d'Utilisation Commerciale - Partage dans les Mêmes Conditions 4.0 International"),
  cc('CC-BY-ND-4.0', 'licenses/by-nd/4.0', 'CC BY-ND 4.0', 'Attribution-NoDerivatives 4.0 International', 'نَسب المُصنَّف - منع الاشتقاق 4.0 دولي', 'Attribution - Pas de Modification 4.0 International'),
  cc('CC-BY-NC-ND-4.0', 'licenses/by-nc-nd/4.0', 'CC BY-NC-ND 4.0', 'Attribution-NonCommercial-NoDerivatives 4.0 International', 'نَسب المُصنَّف - غير تجاري - منع الاشتقاق 4.0 دولي', "Attribution - Pas d'Utilisation Commerciale - Pas de Modification 4.0 International"),
  cc('CC-BY-3.0', 'licenses/by/3.0', 'CC BY 3.0', 'Attribution 3.0 Unported', 'نَسب المُصنَّف 3.0 غير موطَّن', 'Attribution 3.0 non transposé'),
  cc('CC0-1.0', 'publicdomain/zero/1.0', 'CC0 1.0', 'Public Domain Dedication', 'إهداء إلى الملك العام', 'Transfert dans le Domaine Public'),
  {
    // how files from software projects come (the demo's sample files among them)
    id: 'MIT',
    short: 'MIT',
    name: { en: 'MIT License', ar: 'رخصة MIT', fr: 'Licence MIT', ku: 'Lîsansa MIT', ckb: 'مۆڵەتی MIT' },
    url: () => 'https://opensource.org/license/mit',
  },
  {
    id: 'all-rights-reserved',
    short: '©',
    name: { en: 'All rights reserved', ar: 'جميع الحقوق محفوظة', fr: 'Tous droits réservés', ku: 'Hemû maf parastî ne', ckb: 'هەموو مافەکان پارێزراون' },
    url: () => null,
  },
];

const BY_ID = new Map(LICENSES.map((l) => [l.id, l]));

export const LICENSE_IDS: readonly string[] = LICENSES.map((l) => l.id);

export function licenseById(id: string | null | undefined): LicenseEntry | undefined {
  return id ? BY_ID.get(id) : undefined;
}
