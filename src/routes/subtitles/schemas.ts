import { Type } from 'typebox';
import type { SubtitleRow } from '../../db/subtitles.js';
import { isLocale } from '../../locales.js';
import { LOCALE_LABELS, subtitleDir } from '../../services/subtitles.js';
import { LocaleTag } from '../common.js';

export const SubtitleParams = Type.Object({ id: Type.String({ format: 'uuid' }), locale: LocaleTag });

/** What a player needs of one track: `<track src=url srclang=locale label=label>` and the text direction. */
export const SubtitleLink = Type.Object({
  url: Type.String(),
  label: Type.String({ description: 'the language named in itself' }),
  dir: Type.Union([Type.Literal('ltr'), Type.Literal('rtl')]),
});

export const SubtitleReply = Type.Object({
  locale: Type.String(),
  ...SubtitleLink.properties,
  bytes: Type.Integer({ description: 'size of the stored WebVTT' }),
  cues: Type.Integer(),
  updatedAt: Type.String(),
});

export function subtitleUrl(publicUrl: string, assetId: string, locale: string): string {
  return `${publicUrl}/api/v1/assets/${assetId}/subtitles/${locale}`;
}

export function subtitleLink(publicUrl: string, s: Pick<SubtitleRow, 'assetId' | 'locale'>) {
  return {
    url: subtitleUrl(publicUrl, s.assetId, s.locale),
    label: isLocale(s.locale) ? LOCALE_LABELS[s.locale] : s.locale,
    dir: subtitleDir(s.locale),
  };
}

/** The `subtitles` map of the asset JSON: locale → link. */
export function subtitleLinks(publicUrl: string, rows: readonly SubtitleRow[]) {
  return Object.fromEntries(rows.map((s) => [s.locale, subtitleLink(publicUrl, s)]));
}

export function subtitleReply(publicUrl: string, s: SubtitleRow) {
  return { locale: s.locale, ...subtitleLink(publicUrl, s), bytes: s.bytes, cues: s.cueCount, updatedAt: s.updatedAt.toISOString() };
}
