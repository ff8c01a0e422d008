/**
 * Credit and licence: a catalogue named in every locale; an event's default licence and credit
 * template; an asset's own licence over it; what the JSON and the pages show.
 */
import { parse } from 'node-html-parser';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { createTestContext } from '../helpers/context.js';
import { seedAlbum, seedAsset, seedGalleryEvent } from '../web/seed.js';

t.test('the licence catalogue names every licence in every locale, with its page', async (t) => {
  const ctx = await createTestContext(t);
  const res = await ctx.app.inject({ url: '/api/v1/licenses' });
  t.equal(res.statusCode, 200);
  const { licenses } = res.json() as { licenses: { id: string; short: string; name: Record<string, string>; url: Record<string, string | null> }[] };
  t.same(licenses.map((l) => l.id), ['CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-NC-4.0', 'CC-BY-NC-SA-4.0', 'CC-BY-ND-4.0', 'CC-BY-NC-ND-4.0', 'CC-BY-3.0', 'CC0-1.0', 'MIT', 'all-rights-reserved']);
  for (const l of licenses) {
    for (const locale of LOCALES) {
      t.ok(l.name[locale]?.trim(), `${l.id}: a name in ${locale}`);
      if (l.id === 'all-rights-reserved') t.equal(l.url[locale], null);
      else if (l.id === 'MIT') t.equal(l.url[locale], 'https://opensource.org/license/mit');
      else t.match(l.url[locale], /^https:\/\/creativecommons\.org\/(licenses|publicdomain)\/[a-z-]+\/\d\.\d\/deed\.(ar|en|fr)$/, `${l.id}: its deed for ${locale}`);
    }
  }
  const by = licenses[0]!;
  t.equal(by.url.ar, 'https://creativecommons.org/licenses/by/4.0/deed.ar', 'the Arabic deed for Arabic');
  t.not(by.name.ar, by.name.en, 'named in Arabic');
});

t.test("an event's default licence and credit template; an asset's own licence over it", async (t) => {
  const ctx = await createTestContext(t);
  const headers = ctx.auth(ctx.admin);
  const event = await seedGalleryEvent(ctx);
  const album = await seedAlbum(ctx, event.id);
  const id = await seedAsset(ctx, event, album, { credit: 'سارا أحمد', capturedAt: '2026-12-01T10:00:00Z' });

  const bad = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers, payload: { defaultLicense: 'GPL-3.0' } });
  t.match(bad.json(), { statusCode: 400, code: 'LAMHA_VALIDATION' }, 'a licence the catalogue does not have');
  const noCredit = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers, payload: { creditTemplate: 'Photo: {event}' } });
  t.match(noCredit.json(), { statusCode: 400, code: 'LAMHA_VALIDATION' }, 'a template that leaves out the credit');
  const set = await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf', headers, payload: { defaultLicense: 'CC-BY-NC-4.0', creditTemplate: '{credit} / {event}, {year}' } });
  t.match(set.json(), { defaultLicense: 'CC-BY-NC-4.0', creditTemplate: '{credit} / {event}, {year}' });

  let asset = (await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
  t.same(asset.effectiveLicense, { id: 'CC-BY-NC-4.0', short: 'CC BY-NC 4.0', name: 'CC BY-NC 4.0 (نَسب المُصنَّف - غير تجاري 4.0 دولي)', url: 'https://creativecommons.org/licenses/by-nc/4.0/deed.ar' }, "the event's default, in its default language");
  t.equal(asset.creditLine, 'سارا أحمد / مؤتمر المجتمع المدني, 2026', 'the template filled in');
  t.equal(asset.license, null, 'the asset names none itself');

  const own = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers, payload: { license: 'CC-BY-4.0' } });
  t.equal(own.statusCode, 200);
  asset = own.json();
  t.match(asset, { license: 'CC-BY-4.0', effectiveLicense: { id: 'CC-BY-4.0' } }, "the asset's own licence wins");
  t.match((await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers, payload: { license: 'CC BY 4.0' } })).json(), { statusCode: 400, code: 'LAMHA_VALIDATION' }, 'free text is refused');

  // the pages, in the visitor's language
  for (const [locale, deed, dir] of [['en', 'deed.en', 'ltr'], ['ar', 'deed.ar', 'rtl']] as const) {
    const doc = parse((await ctx.app.inject({ url: `/${locale}/e/conf/day-1/${id}` })).body);
    t.equal(doc.querySelector('html')!.getAttribute('dir'), dir);
    const link = doc.querySelector('.asset .license a[rel="license"]')!;
    t.ok(link, `${locale}: the licence is a rel="license" link`);
    t.equal(link.getAttribute('href'), `https://creativecommons.org/licenses/by/4.0/${deed}`);
    t.equal(link.text, 'CC BY 4.0');
    t.match(doc.querySelector('.asset .credit')!.text, locale === 'en' ? 'سارا أحمد / Civil society conference, 2026' : 'سارا أحمد / مؤتمر المجتمع المدني, 2026', `${locale}: the credit line with the event's title in ${locale}`);
    const tile = parse((await ctx.app.inject({ url: `/${locale}/e/conf/day-1` })).body).querySelector(`#a-${id} .license a[rel="license"]`);
    t.ok(tile, `${locale}: the album's tile carries it too (the lightbox shows it)`);
  }
});

t.test('a licence written as text before the catalogue is shown as written', async (t) => {
  const ctx = await createTestContext(t);
  const event = await seedGalleryEvent(ctx);
  const album = await seedAlbum(ctx, event.id);
  const id = await seedAsset(ctx, event, album, { license: 'Only for reporting on the conference' });
  t.match((await ctx.app.inject({ url: `/api/v1/assets/${id}` })).json().effectiveLicense, { id: null, name: 'Only for reporting on the conference', url: null });
  const doc = parse((await ctx.app.inject({ url: `/en/e/conf/day-1/${id}` })).body);
  t.match(doc.querySelector('.asset .license')!.text, 'Only for reporting on the conference');
});
