/**
 * English interface strings. This file defines the keys: every other locale must give each one
 * a real translation (checked by the type and by test/web/locales.test.ts).
 */
const strings = {
  'site.name': 'Lamha',
  'site.tagline': 'Photos and videos of the events',
  'nav.skip': 'Skip to content',
  'nav.language': 'Language',
  'nav.breadcrumb': 'You are here',
  'nav.events': 'Events',
  'nav.pages': 'Pages',
  'events.title': 'Events',
  'events.empty': 'No events have been published yet.',
  'event.dates': 'Dates',
  'event.venue': 'Venue',
  'event.albums': 'Albums',
  'event.noAlbums': 'No albums have been published yet.',
  'album.count': 'Photos and videos: {n}',
  'album.empty': 'Nothing has been published in this album yet.',
  'album.pageOf': 'Page {n} of {total}',
  'album.nextPage': 'Next page',
  'album.previousPage': 'Previous page',
  'album.grid': 'Photos and videos',
  'asset.photo': 'Photo',
  'asset.video': 'Video',
  'asset.document': 'Document',
  'asset.credit': 'Credit',
  'asset.license': 'Licence',
  'asset.captured': 'Taken on',
  'asset.download': 'Download',
  'asset.previous': 'Previous',
  'asset.next': 'Next',
  'asset.backToAlbum': 'Back to the album',
  'asset.noVideo': 'Your browser cannot play this video. Download it instead.',
  'notFound.title': 'Page not found',
  'notFound.body': 'This page does not exist, or it is not public.',
  'notFound.home': 'See all events',
  'lightbox.close': 'Close',
  'lightbox.next': 'Next',
  'lightbox.previous': 'Previous',
  'lightbox.download': 'Download',
  'lightbox.zoom': 'Zoom',
  'lightbox.counterOf': 'of',
  'player.subtitles': 'Subtitles',
  'player.off': 'Off',
  'live.newItem': 'New photo added',
  'live.reconnecting': 'Connection lost, reconnecting…',
  'error.loadFailed': 'This item could not be loaded.',
  'document.pageCount': 'Pages: {n}',
  'document.pageOf': 'Page {n} of {total}',
  'document.previews': 'First pages',
  'document.download': 'Download PDF',
  'lightbox.downloadDocument': 'Download PDF',
  'archive.readme.title': 'Photos and videos: {event} — {album}',
  'archive.readme.credit': 'When you publish a photo or video from this archive, credit it as the "credit" column of captions.csv gives it (the same text is in captions.json and in each file\'s own metadata).',
  'archive.readme.license': 'Each file\'s licence is in the "license" and "license_url" columns; where they are empty, ask the organisers before you publish.',
  'archive.readme.captions': 'Captions are given in every language of the event, one column per language code (caption_ar, caption_en, …).',
  'archive.readme.privacy': 'Location, serial numbers and camera owner names have been removed from these files to protect the people in them. Do not add them back.',
  'press.title': 'Press downloads',
  'press.intro': 'Files of this album for publication, with their captions, credit and licence written into each file.',
  'press.originals': 'Full-resolution originals, without location or camera serial numbers.',
  'press.webSize': 'Web-size copies.',
  'press.expires': 'This link works until {date}.',
  'press.downloadAll': 'Download the whole album (ZIP)',
  'press.download': 'Download',
  'press.empty': 'Nothing has been published in this album yet.',
  'press.goneTitle': 'This link no longer works',
  'press.gone': 'The press link has expired, was withdrawn, or is mistyped. Ask the organisers for a new one.',
} as const;

export type StringKey = keyof typeof strings;
export type Strings = Readonly<Record<StringKey, string>>;

/** One locale's interface text. */
export interface LocaleText {
  /** the language's own name, for the language switcher */
  name: string;
  /** month names, used only when the runtime's ICU data lacks the locale */
  months: readonly string[];
  strings: Strings;
}

export const en: LocaleText = {
  name: 'English',
  months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  strings,
};
