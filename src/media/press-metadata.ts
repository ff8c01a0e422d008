/**
 * What a press file says about itself: credit, captions, copyright and licence, and the event,
 * written into a photo as IPTC and XMP, or into a video's container. Knows nothing of HTTP, SQL
 * or queues.
 *
 * Where each goes (IPTC Photo Metadata Standard 2023.1, both the IIM and the XMP side, so that
 * newsroom software reading either finds them):
 * | text       | XMP                                                  | IIM                         |
 * |------------|------------------------------------------------------|-----------------------------|
 * | caption    | dc:description, one language alternative per locale  | Caption-Abstract (default)  |
 * | credit     | dc:creator; photoshop:Credit (the credit line)       | By-line; Credit (the line)  |
 * | copyright  | dc:rights (x-default)                                 | CopyrightNotice             |
 * | licence    | xmpRights:UsageTerms, xmpRights:WebStatement, cc:license | —                        |
 * | event      | Iptc4xmpExt:Event per locale, photoshop:Source        | Source                      |
 * IIM has no event field; Source ("the party that supplies the image") is what news workflows
 * put an event or organisation in. IIM text is written as UTF-8 and marked so (1:90).
 */
import type { ExifTool, WriteTags } from 'exiftool-vendored';

export interface PressText {
  /** per locale; the default locale's is also the IIM caption and XMP x-default */
  caption: Record<string, string>;
  defaultLocale: string;
  /** who made it (IPTC By-line, dc:creator) */
  credit: string | null;
  /** the credit as the event writes it (IPTC Credit Line, photoshop:Credit) */
  creditLine: string | null;
  /** "© 2026 Name" */
  copyright: string | null;
  license: { name: string; url: string | null } | null;
  /** per locale */
  event: Record<string, string>;
}

/** Embedded previews a camera or phone writes: they are the picture before any crop or edit, with their own metadata. */
const PREVIEWS = ['IFD1:all', 'ThumbnailImage', 'PreviewImage', 'JpgFromRaw', 'OtherImage', 'XMP-xmp:Thumbnails'];

/**
 * Writes `text` into the photo `file` in place and removes its embedded previews; the image data
 * is untouched. Tags the text leaves empty are removed, so what the file says is what the
 * archive says. Two writes: the first clears every field (a language alternative the archive no
 * longer has would otherwise stay), the second sets them; exiftool-vendored encodes the values,
 * line breaks and all.
 */
export async function writePressTags(exiftool: ExifTool, file: string, text: PressText): Promise<void> {
  const caption = text.caption[text.defaultLocale] ?? Object.values(text.caption)[0] ?? null;
  const event = text.event[text.defaultLocale] ?? Object.values(text.event)[0] ?? null;
  const fields: Record<string, unknown> = {
    'IPTC:Caption-Abstract': caption,
    'IPTC:By-line': text.credit,
    'IPTC:Credit': text.creditLine ?? text.credit,
    'IPTC:CopyrightNotice': text.copyright,
    'IPTC:Source': event,
    'XMP-dc:Creator': text.credit === null ? null : [text.credit],
    'XMP-photoshop:Credit': text.creditLine ?? text.credit,
    'XMP-dc:Rights': text.copyright,
    'XMP-photoshop:Source': event,
    'XMP-xmpRights:UsageTerms': text.license?.name ?? null,
    'XMP-xmpRights:WebStatement': text.license?.url ?? null,
    'XMP-cc:License': text.license?.url ?? null,
    'XMP-xmpRights:Marked': text.license === null ? null : 'True',
    'XMP-dc:Description': caption,
    'XMP-iptcExt:Event': event,
  };
  for (const [locale, value] of Object.entries(text.caption)) fields[`XMP-dc:Description-${locale}`] = value;
  for (const [locale, value] of Object.entries(text.event)) fields[`XMP-iptcExt:Event-${locale}`] = value;
  const options = { writeArgs: ['-overwrite_original', '-api', 'LargeFileSupport=1'], ignoreMinorErrors: true };
  const clear = Object.fromEntries([...PREVIEWS, ...Object.keys(fields).filter((k) => !/-[a-z]{2,3}$/.test(k))].map((k) => [k, null]));
  await exiftool.write(file, clear as WriteTags, options);
  const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
  set['IPTC:CodedCharacterSet'] = 'UTF8';
  await exiftool.write(file, set as WriteTags, options);
}

/** ffmpeg `-metadata` options that title and credit a video (the container's own title, artist, copyright and comment fields). */
export function videoPressMetadata(text: PressText): string[] {
  const caption = text.caption[text.defaultLocale] ?? Object.values(text.caption)[0];
  const event = text.event[text.defaultLocale] ?? Object.values(text.event)[0];
  const fields: Record<string, string | null | undefined> = {
    title: caption ?? event,
    artist: text.creditLine ?? text.credit,
    copyright: text.copyright,
    comment: [event, text.license ? `${text.license.name}${text.license.url ? ` ${text.license.url}` : ''}` : null].filter(Boolean).join(' · ') || null,
  };
  return Object.entries(fields).flatMap(([k, v]) => (v ? ['-metadata', `${k}=${v}`] : []));
}
