/** What the uploader's script reads and says, without a browser: credentials, refusals in words, sizes, speeds, times. */
import t from 'tap';
import { TEXT } from '../../src/web/locales/index.js';

/** The browser module's functions (plain JavaScript, so typed here). */
interface UploadText {
  parseCredential(input: unknown): string | null;
  errorCode(reason: unknown): string | null;
  reasonText(t: (key: string) => string, reason: unknown): string;
  formatBytes(bytes: number, lang: string): string;
  formatSpeed(bytesPerSecond: number, lang: string): string;
  formatDuration(seconds: number, lang: string): string;
  rate(samples: { at: number; bytes: number }[], now: number, windowMs?: number): number;
  localized(map: Record<string, string> | null, lang: string, fallback: string): string;
  pick(map: Record<string, string> | null, lang: string, fallback: string): { text: string; lang: string } | null;
}
const module = '../../src/web/static/upload-text.js';
const { parseCredential, errorCode, reasonText, formatBytes, formatSpeed, formatDuration, rate, localized, pick } = (await import(module)) as UploadText;
const TOKEN = 'lamha_Qm9vdHN0cmFwLXRva2VuLWZvci10ZXN0cy0xMjM0NTY3OA';

t.test('a token from a whole link, a fragment or on its own; nothing from a link without one', async (t) => {
  t.equal(parseCredential(`https://photos.example.org/ar/upload#token=${TOKEN}`), TOKEN);
  t.equal(parseCredential(`  #token=${TOKEN}\n`), TOKEN, 'pasted with spaces around');
  t.equal(parseCredential(TOKEN), TOKEN);
  t.equal(parseCredential('https://photos.example.org/ar/upload'), null);
  t.equal(parseCredential('https://photos.example.org/ar/upload#lang=ar'), null);
  t.equal(parseCredential('hello'), null, 'too short to be a token');
  t.equal(parseCredential('two words here, not a token at all'), null);
  t.equal(parseCredential(''), null);
  t.equal(parseCredential(`#token=${TOKEN}<script>`), null, 'nothing that is not token text');
});

t.test('a refusal in the page\'s words: its code\'s sentence, else the server\'s message, else a generic one', async (t) => {
  const ar = TEXT.ar.strings as Record<string, string>;
  const tr = (k: string) => ar[k] ?? '';
  t.equal(errorCode({ code: 'LAMHA_PIXEL_LIMIT', message: 'x' }), 'LAMHA_PIXEL_LIMIT');
  t.equal(errorCode('LAMHA_UNDECODABLE: The file cannot be decoded: truncated'), 'LAMHA_UNDECODABLE');
  t.equal(errorCode('ffmpeg exited with 1'), null);
  t.equal(reasonText(tr, { statusCode: 415, code: 'LAMHA_UNSUPPORTED_TYPE', message: 'image/svg+xml is not allowed' }), ar['upload.error.LAMHA_UNSUPPORTED_TYPE']);
  t.equal(reasonText(tr, 'LAMHA_VIDEO_TOO_LONG: The video lasts 9000 s'), ar['upload.error.LAMHA_VIDEO_TOO_LONG'], 'a worker\'s reason starting with its code');
  t.equal(reasonText(tr, { code: 'LAMHA_SOMETHING_NEW', message: 'The disk is full' }), ar['upload.error.server']!.replace('{message}', 'The disk is full'));
  t.equal(reasonText(tr, 'LAMHA_SOMETHING_NEW: The disk is full'), ar['upload.error.server']!.replace('{message}', 'The disk is full'), 'the code is not repeated in the words');
  t.equal(reasonText(tr, ''), ar['upload.error.generic']);
  t.equal(reasonText(tr, null), ar['upload.error.generic']);
});

t.test('sizes, speeds and times in the locale\'s way of writing them', async (t) => {
  t.equal(formatBytes(3_456_789, 'en'), '3.5 MB');
  t.equal(formatBytes(3_456_789, 'fr').replace(/\s/g, ' '), '3,5 Mo', 'French decimal comma (and its own space)');
  t.equal(formatBytes(250_000_000, 'en'), '250 MB');
  t.equal(formatBytes(2_000_000_000, 'en'), '2 GB');
  t.match(formatBytes(3_456_789, 'ar'), /3[.,٫]5|٣٫٥/);
  t.equal(formatSpeed(2_500_000, 'en'), '2.5 MB/s');
  t.equal(formatSpeed(800, 'en'), '800 byte/s');
  t.equal(formatDuration(0.2, 'en'), '1 second', 'never "0 seconds" while something is left');
  t.equal(formatDuration(75, 'en'), '2 minutes', 'rounded up: better early than late');
  t.equal(formatDuration(5000, 'en'), '1.5 hours');
  t.equal(formatDuration(75, 'fr').replace(/\s/g, ' '), '2 minutes');
});

t.test('speed over the last seconds, not since the start', async (t) => {
  const samples = [{ at: 0, bytes: 0 }, { at: 10_000, bytes: 1_000_000 }, { at: 12_000, bytes: 1_100_000 }, { at: 14_000, bytes: 1_200_000 }];
  t.equal(rate(samples, 14_000), 50_000, '100 kB in 2 s, the earlier burst forgotten');
  t.equal(rate([{ at: 0, bytes: 0 }], 100), 0, 'one sample says nothing');
  t.equal(rate(samples, 60_000), 0, 'nothing recent: no speed rather than a stale one');
});

t.test('a title in the page\'s language, else the event\'s, else any', async (t) => {
  t.equal(localized({ ar: 'اليوم الأول', en: 'Day one' }, 'en', 'ar'), 'Day one');
  t.equal(localized({ ar: 'اليوم الأول', en: ' ' }, 'en', 'ar'), 'اليوم الأول');
  t.equal(localized({ ku: 'Roja yekem' }, 'fr', 'ar'), 'Roja yekem');
  t.equal(localized(null, 'fr', 'ar'), '');
  t.same(pick({ ar: 'اليوم الأول' }, 'en', 'ar'), { text: 'اليوم الأول', lang: 'ar' }, 'with the language it is in, to mark it');
});
