/** The uploader page as the server renders it, through app.inject: language, direction, headers, and every string it needs. */
import { parse } from 'node-html-parser';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import { TEXT } from '../../src/web/locales/index.js';
import { UPLOAD_CLIENT_KEYS } from '../../src/web/pages/upload.js';
import { createTestContext } from '../helpers/context.js';

/** Codes the upload contract says tus and the asset status may answer: each needs a sentence of its own. */
const UPLOAD_CODES = [
  'LAMHA_UNSUPPORTED_TYPE', 'LAMHA_PIXEL_LIMIT', 'LAMHA_TOO_LARGE', 'LAMHA_VIDEO_TOO_LONG', 'LAMHA_VIDEO_TOO_LARGE',
  'LAMHA_UNAUTHORIZED', 'LAMHA_FORBIDDEN', 'LAMHA_UPLOAD_EXPIRED', 'LAMHA_VALIDATION', 'LAMHA_EMPTY_FILE',
  'LAMHA_UNDECODABLE', 'LAMHA_PRIVATE_METADATA',
];

t.test('/upload sends the browser to the uploader in its language', async (t) => {
  const { app } = await createTestContext(t);
  for (const [accept, locale] of [['ar,en;q=0.5', 'ar'], ['fr-FR,fr;q=0.9', 'fr'], ['ckb', 'ckb'], ['de', 'en'], [undefined, 'en']] as const) {
    const res = await app.inject({ url: '/upload', headers: accept ? { 'accept-language': accept } : {} });
    t.equal(res.statusCode, 302, `Accept-Language: ${accept}`);
    t.equal(res.headers.location, `/${locale}/upload`, `Accept-Language: ${accept}`);
    t.match(res.headers.vary, /Accept-Language/);
    t.equal(res.headers['cache-control'], 'no-store');
  }
});

t.test('every locale renders the uploader with its language, direction and own words, kept by no cache', async (t) => {
  const { app } = await createTestContext(t);
  for (const locale of LOCALES) {
    const res = await app.inject({ url: `/${locale}/upload` });
    t.equal(res.statusCode, 200, locale);
    t.equal(res.headers['cache-control'], 'no-store', `${locale}: not cached`);
    t.equal(res.headers['content-language'], locale);
    t.match(res.headers['content-security-policy'], /script-src 'self'(;|$)/, `${locale}: scripts only from the site`);
    t.notMatch(res.headers['x-lamha-cache'] ?? '', /./, 'not from the page cache');
    const doc = parse(res.body);
    const html = doc.querySelector('html')!;
    t.equal(html.getAttribute('lang'), locale);
    t.equal(html.getAttribute('dir'), locale === 'ar' || locale === 'ckb' ? 'rtl' : 'ltr', `${locale} direction`);
    t.equal(doc.querySelector('h1')!.textContent, TEXT[locale].strings['upload.title']);
    t.ok(doc.querySelector('meta[name=robots][content=noindex]'), 'not indexed');

    // no inline script: each runs from /static (the policy would block an inline one)
    const scripts = doc.querySelectorAll('script');
    for (const s of scripts) t.ok(s.getAttribute('src') || s.getAttribute('type') === 'application/json', `${locale}: no inline script`);
    const srcs = scripts.map((s) => s.getAttribute('src')).filter(Boolean) as string[];
    const tus = srcs.findIndex((s) => s.startsWith('/static/vendor/tus/tus.min.js?v='));
    const own = srcs.findIndex((s) => /^\/static\/uploader\.js\?v=[0-9a-f]{12}$/.test(s));
    t.ok(tus >= 0 && own > tus, `${locale}: tus-js-client before the uploader script`);
    t.ok(doc.querySelector('script[src^="/static/vendor/tus/"]')!.hasAttribute('defer'), 'tus is deferred, so it runs before the module');
    for (const url of [srcs[tus]!, srcs[own]!, doc.querySelector('link[href^="/static/uploader.css"]')!.getAttribute('href')!]) {
      t.equal((await app.inject({ url })).statusCode, 200, `${url} is served`);
    }

    // every uploader string, in this locale's own words, for the script
    const strings = JSON.parse(doc.querySelector('#lamha-strings')!.textContent) as Record<string, string>;
    for (const key of UPLOAD_CLIENT_KEYS) t.equal(strings[key], TEXT[locale].strings[key], `${locale}: ${key}`);
    for (const code of UPLOAD_CODES) t.ok(strings[`upload.error.${code}`], `${locale}: a sentence for ${code}`);

    // the parts the script brings to life, with labels
    t.ok(doc.querySelector('#uploader[hidden]'), 'the interface waits for its script');
    t.ok(doc.querySelector('input[type=file][multiple]#up-files'), 'many files');
    t.ok(doc.querySelector('input[type=file][webkitdirectory]#up-folder'), 'a folder');
    t.equal(doc.querySelector('label[for=up-total-progress]')!.textContent, TEXT[locale].strings['upload.total'], 'the total progress has a label');
    t.ok(doc.querySelector('#up-announce[aria-live=polite]'), 'a live region for screen readers');
    t.equal(doc.querySelector('label[for=up-token]')!.textContent, TEXT[locale].strings['upload.linkLabel']);
    t.ok(doc.querySelector('#up-links[hidden] form#up-mint'), 'the links section, for editors only once the API says so');

    // without JavaScript: says so, and how to upload with curl to this server
    const noscript = parse(res.body.slice(res.body.indexOf('<noscript>') + 10, res.body.indexOf('</noscript>')), { blockTextElements: {} });
    t.ok(noscript.textContent.includes(TEXT[locale].strings['upload.noscript']), `${locale}: says the uploader needs JavaScript`);
    t.match(noscript.querySelector('pre code')!.textContent, /^curl -H "Authorization: Bearer \$TOKEN" .*-F "file=@photo\.jpg" http:\/\/gallery\.test\/api\/v1\/events\/EVENT\/albums\/ALBUM\/assets$/);
    t.ok(noscript.querySelector('a[href="/docs"]'), 'and where the API is described');

    t.same(doc.querySelectorAll('.languages a').map((a) => a.getAttribute('href')), LOCALES.map((l) => `/${l}/upload`), 'the language switcher stays on the uploader');
  }
});

t.test('HEAD answers like GET without a body', async (t) => {
  const { app } = await createTestContext(t);
  const res = await app.inject({ method: 'HEAD', url: '/ku/upload' });
  t.equal(res.statusCode, 200);
  t.equal(res.body, '');
});
