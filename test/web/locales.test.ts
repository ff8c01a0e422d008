/** Interface text and date formats of every locale. */
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { dirOf, fallbackDay, formatDay, formatDays, pick } from '../../src/web/i18n.js';
import { CLIENT_KEYS, TEXT } from '../../src/web/locales/index.js';

const KEYS = Object.keys(TEXT.en.strings);

t.test('every locale has every interface string, none empty, and its own month names', async (t) => {
  t.ok(KEYS.length > 30);
  for (const locale of LOCALES) {
    const { strings, months, name } = TEXT[locale];
    const missing = KEYS.filter((k) => typeof (strings as Record<string, unknown>)[k] !== 'string' || (strings as Record<string, string>)[k]!.trim() === '');
    t.same(missing, [], `${locale}: no key missing or empty`);
    t.same(Object.keys(strings).filter((k) => !KEYS.includes(k)), [], `${locale}: no key English lacks`);
    t.equal(months.length, 12, `${locale}: twelve months`);
    t.ok(months.every((m) => m.trim() !== ''), `${locale}: no empty month`);
    t.ok(name.trim() !== '', `${locale}: has its own name`);
  }
});

t.test('translations are translations, not English copies', async (t) => {
  for (const locale of LOCALES.filter((l) => l !== 'en')) {
    const same = KEYS.filter((k) => (TEXT[locale].strings as Record<string, string>)[k] === (TEXT.en.strings as Record<string, string>)[k]);
    // French shares a few words with English (Photo, Document, Dates, Albums, Licence).
    t.ok(same.length <= 6, `${locale}: ${same.length} strings equal to English (${same.join(', ')})`);
  }
  for (const locale of ['ar', 'ckb'] as const) {
    // the archive's file and column names are the same in every language (its README names them)
    const names = /\b(captions\.(csv|json)|caption_[a-z]+|license_url|license|credit|ZIP)\b/g;
    const latin = KEYS.filter((k) => k !== 'site.name' && /[A-Za-z]{3}/.test((TEXT[locale].strings as Record<string, string>)[k]!.replace(/\{\w+\}/g, '').replace(names, '')));
    t.same(latin, [], `${locale}: written in Arabic script`);
  }
  t.ok(/[êîûç]/.test(Object.values(TEXT.ku.strings).join(' ')), 'Kurmanji in its Latin alphabet');
  t.ok(/[ێۆڕڵە]/.test(Object.values(TEXT.ckb.strings).join(' ')), 'Sorani uses its own letters, not only Arabic ones');
});

t.test('the client strings are interface strings', async (t) => {
  for (const k of CLIENT_KEYS) t.ok(k in TEXT.en.strings, k);
});

t.test('right to left for ar and ckb, left to right for the others', async (t) => {
  t.same(LOCALES.map(dirOf), ['rtl', 'ltr', 'ltr', 'rtl', 'ltr']);
  t.equal(dirOf('ar-SY'), 'rtl');
  t.equal(dirOf('ku-Latn'), 'ltr');
});

t.test('dates in each locale’s own format', async (t) => {
  t.equal(formatDay('2026-12-01', 'en'), 'December 1, 2026');
  t.equal(formatDay('2026-12-01', 'fr'), '1 décembre 2026');
  t.match(formatDay('2026-12-01', 'ar'), /ديسمبر/);
  t.match(formatDay('2026-12-01', 'ku'), /berfanbar/, 'Kurmanji month name from ICU');
  t.match(formatDay('2026-12-01', 'ckb'), /کانو?ونی یەکەم/, 'Sorani month name from ICU');
  t.match(formatDay('2026-12-01', 'ckb'), /٢٠٢٦/, 'Sorani with Eastern Arabic digits');
  t.match(formatDays('2026-12-01', '2026-12-02', 'fr'), /^1.*2 décembre 2026$/);
  t.equal(formatDays('2026-12-01', '2026-12-01', 'en'), 'December 1, 2026');
  // A day at UTC midnight must not slip to the day before in any time zone.
  t.notMatch(formatDay('2026-12-01', 'en'), /November/);
});

t.test('without ICU data for a locale, dates use Lamha’s own month names', async (t) => {
  const d = new Date('2026-12-01T00:00:00Z');
  t.equal(fallbackDay(d, 'ku'), '1 berfanbar 2026');
  t.equal(fallbackDay(d, 'ckb'), '١ کانوونی یەکەم ٢٠٢٦');
  t.equal(fallbackDay(d, 'en'), '1 December 2026');
});

t.test('multilingual text falls back to the default language, then any', async (t) => {
  t.same(pick({ ar: 'نص', en: 'text' }, 'en', 'ar'), { text: 'text', lang: 'en', dir: 'ltr' });
  t.same(pick({ ar: 'نص', en: '  ' }, 'en', 'ar'), { text: 'نص', lang: 'ar', dir: 'rtl' }, 'blank text is missing');
  t.same(pick({ ckb: 'دەق' }, 'fr', 'ar', ['ar', 'ckb']), { text: 'دەق', lang: 'ckb', dir: 'rtl' });
  t.equal(pick({}, 'en', 'ar'), null);
});
