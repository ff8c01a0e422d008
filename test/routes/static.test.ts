/**
 * /static/*: the gallery's scripts and the vendor browser files, with ETags, revalidation and
 * immutable caching for versioned URLs; nothing else of node_modules is reachable.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import t from 'tap';
import { staticUrl, VENDOR } from '../../src/routes/static/files.js';
import { createTestContext } from '../helpers/context.js';

const require = createRequire(import.meta.url);

t.test('serves the gallery entry script with an ETag, a short max-age and 304 on revalidation', async (t) => {
  const { app } = await createTestContext(t);
  const res = await app.inject({ url: '/static/gallery.js' });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.headers['content-type'], /^(text|application)\/javascript/);
  t.equal(res.headers['cache-control'], 'public, max-age=600');
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.body, await readFile(new URL('../../src/web/static/gallery.js', import.meta.url), 'utf8'));
  const etag = res.headers.etag as string;
  t.ok(etag, 'has an ETag');
  const again = await app.inject({ url: '/static/gallery.js', headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
  const strong = etag.replace(/^W\//, '');
  for (const tags of [`"older", ${etag}`, strong, `"older", ${strong}`]) {
    t.equal((await app.inject({ url: '/static/gallery.js', headers: { 'if-none-match': tags } })).statusCode, 304, `If-None-Match: ${tags}`);
  }
  t.equal((await app.inject({ url: '/static/gallery.js', headers: { 'if-none-match': '"older"' } })).statusCode, 200, 'another tag: the file');
});

t.test('a URL versioned with the file\'s current hash is immutable; a stale version is not', async (t) => {
  const { app } = await createTestContext(t);
  const url = staticUrl('gallery.js');
  // the version is the first 12 hex digits of the SHA-256 of the file's bytes
  const bytes = await readFile(new URL('../../src/web/static/gallery.js', import.meta.url));
  t.equal(url, `/static/gallery.js?v=${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`);
  const current = await app.inject({ url });
  t.equal(current.statusCode, 200);
  t.equal(current.headers['cache-control'], 'public, max-age=31536000, immutable');
  const stale = await app.inject({ url: '/static/gallery.js?v=000000000000' });
  t.equal(stale.statusCode, 200);
  t.equal(stale.headers['cache-control'], 'public, max-age=600');
});

t.test('serves the PhotoSwipe, hls.js and thumbhash browser builds of the installed packages', async (t) => {
  const { app } = await createTestContext(t);
  for (const [name, file, pkg] of [
    ['photoswipe', 'photoswipe-lightbox.esm.min.js', 'photoswipe'],
    ['photoswipe', 'photoswipe.esm.min.js', 'photoswipe'],
    ['photoswipe', 'photoswipe.css', 'photoswipe'],
    ['hls', 'hls.light.min.mjs', 'hls.js'],
    ['thumbhash', 'thumbhash.js', 'thumbhash'],
  ] as const) {
    const res = await app.inject({ url: `/static/vendor/${name}/${file}` });
    t.equal(res.statusCode, 200, `${name}/${file}`);
    t.ok(res.headers.etag, `${name}/${file} has an ETag`);
    t.equal(res.headers['cache-control'], 'public, max-age=86400');
    const path = require.resolve(pkg).replace(/[^/]+$/, file);
    t.equal(res.rawPayload.length, (await readFile(path)).length, `${name}/${file} is the package's file`);
  }
  const versioned = await app.inject({ url: staticUrl('vendor/hls/hls.light.min.mjs') });
  t.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(staticUrl('vendor/hls/hls.light.min.mjs'), `/static/vendor/hls/hls.light.min.mjs?v=${VENDOR.hls!.version}`);
  t.equal(VENDOR.hls!.version, (require('hls.js/package.json') as { version: string }).version);
});

t.test('serves tus-js-client\'s browser build from its dist/, versioned like the package', async (t) => {
  const { app } = await createTestContext(t);
  const res = await app.inject({ url: '/static/vendor/tus/tus.min.js' });
  t.equal(res.statusCode, 200);
  const pkgDir = require.resolve('tus-js-client').replace(/\/lib\.es5\/node\/index\.js$/, '');
  t.equal(res.rawPayload.length, (await readFile(`${pkgDir}/dist/tus.min.js`)).length, 'the package\'s browser build');
  t.match(res.body, /tus/, 'a script naming the global it defines');
  t.equal(staticUrl('vendor/tus/tus.min.js'), `/static/vendor/tus/tus.min.js?v=${(require('tus-js-client/package.json') as { version: string }).version}`);
  for (const url of ['/static/vendor/tus/tus.js', '/static/vendor/tus/tus.min.js.map', '/static/vendor/tus/../package.json', '/static/vendor/tus/browser-test-bundle.js']) {
    t.equal((await app.inject({ url })).statusCode, 404, `${url} is not served`);
  }
});

t.test('nothing else of node_modules or the source tree is reachable', async (t) => {
  const { app } = await createTestContext(t);
  for (const url of [
    '/static/vendor/hls/hls.js',
    '/static/vendor/hls/hls.min.mjs',
    '/static/vendor/hls/hls.worker.js',
    '/static/vendor/photoswipe/umd/photoswipe.umd.min.js',
    '/static/vendor/photoswipe/../package.json',
    '/static/vendor/photoswipe/%2e%2e/package.json',
    '/static/vendor/thumbhash/package.json',
    '/static/vendor/other/x.js',
    '/static/../../app.ts',
    '/static/%2e%2e/%2e%2e/app.ts',
    '/static/missing.js',
  ]) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 404, url);
    t.notMatch(res.body, /"version"|export default|buildApp/, `${url} leaks nothing`);
  }
});

t.test('/favicon.ico is an icon, so browsers log no 404 on any page', async (t) => {
  const { app } = await createTestContext(t);
  const res = await app.inject({ url: '/favicon.ico' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/x-icon');
  const body = res.rawPayload;
  t.same([...body.subarray(0, 6)], [0, 0, 1, 0, 1, 0], 'an ICO header with one image');
  t.equal(body.readUInt32LE(18), 22);
  t.same([...body.subarray(22, 30)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'holding a PNG');
  const { width, height } = await (await import('sharp')).default(body.subarray(22)).metadata();
  t.same([width, height], [32, 32]);
  const etag = res.headers.etag as string;
  for (const tags of [etag, `"older", ${etag}`, `W/${etag}`, '*']) {
    t.equal((await app.inject({ url: '/favicon.ico', headers: { 'if-none-match': tags } })).statusCode, 304, `If-None-Match: ${tags}`);
  }
  t.equal((await app.inject({ url: '/favicon.ico', headers: { 'if-none-match': '"older"' } })).statusCode, 200, 'another tag: the icon');
});

t.test('scripts go out in brotli or gzip when the client takes it, with the same ETag and 304', async (t) => {
  const { app } = await createTestContext(t);
  const url = '/static/vendor/hls/hls.light.min.mjs';
  const original = await readFile(require.resolve('hls.js').replace(/[^/]+$/, 'hls.light.min.mjs'));
  const plain = await app.inject({ url });
  t.equal(plain.headers['content-encoding'], undefined);
  t.equal(plain.rawPayload.length, original.length);
  t.equal(plain.headers.vary, 'Accept-Encoding');

  const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(br.statusCode, 200);
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(Number(br.headers['content-length']), br.rawPayload.length);
  t.ok(br.rawPayload.length < original.length / 3, `brotli ${br.rawPayload.length} of ${original.length} bytes`);
  t.ok(zlib.brotliDecompressSync(br.rawPayload).equals(original), 'decodes to the file');
  t.equal(br.headers.etag, plain.headers.etag, 'the same (weak) validator');

  const gz = await app.inject({ url: '/static/gallery.js', headers: { 'accept-encoding': 'gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(zlib.gunzipSync(gz.rawPayload).toString(), await readFile(new URL('../../src/web/static/gallery.js', import.meta.url), 'utf8'));

  const weighted = await app.inject({ url, headers: { 'accept-encoding': 'br;q=0.5, gzip' } });
  t.equal(weighted.headers['content-encoding'], 'gzip', 'the client\'s weights come first');
  const none = await app.inject({ url, headers: { 'accept-encoding': 'identity' } });
  t.equal(none.headers['content-encoding'], undefined);
  t.equal(none.rawPayload.length, original.length);

  const again = await app.inject({ url, headers: { 'accept-encoding': 'br', 'if-none-match': br.headers.etag as string } });
  t.equal(again.statusCode, 304);
  t.equal(again.headers['content-encoding'], undefined);

  const ranged = await app.inject({ url, headers: { 'accept-encoding': 'br', range: 'bytes=0-99' } });
  t.equal(ranged.statusCode, 206, 'a range is served from the file as it is');
  t.equal(ranged.headers['content-encoding'], undefined);
  t.equal(ranged.rawPayload.length, 100);

  const icon = await app.inject({ url: '/favicon.ico', headers: { 'accept-encoding': 'br' } });
  t.equal(icon.headers['content-encoding'], undefined, 'images are left as they are');
});
