/** The gallery stylesheet: right-to-left by construction, small, accessible. */
import { readFile } from 'node:fs/promises';
import t from 'tap';

const css = await readFile(new URL('../../src/web/static/gallery.css', import.meta.url), 'utf8');
const rules = css.replace(/\/\*[\s\S]*?\*\//g, '');

t.test('only logical properties: nothing says left or right', async (t) => {
  t.same(rules.match(/\b(margin|padding|border)-(left|right)\b/g) ?? [], []);
  t.same(rules.match(/(^|[\s;{])(left|right)\s*:/g) ?? [], []);
  t.same(rules.match(/\b(text-align|float|clear)\s*:\s*(left|right)\b/g) ?? [], []);
  t.same(rules.match(/(^|[\s;{])(width|height)\s*:/g) ?? [], [], 'inline-size and block-size instead');
  t.match(rules, /\[dir="rtl"\][^{]*\.arrow[^{]*\{[^}]*scaleX\(-1\)/, 'arrows mirrored on right-to-left pages');
});

t.test('the uploader\'s stylesheet too: logical properties only, visible focus, touch-sized buttons', async (t) => {
  const own = (await readFile(new URL('../../src/web/static/uploader.css', import.meta.url), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
  t.same(own.match(/\b(margin|padding|border)-(left|right)\b/g) ?? [], []);
  t.same(own.match(/(^|[\s;{])(left|right)\s*:/g) ?? [], []);
  t.same(own.match(/\b(text-align|float|clear)\s*:\s*(left|right)\b/g) ?? [], []);
  t.same(own.match(/(^|[\s;{])(width|height)\s*:/g) ?? [], [], 'inline-size and block-size instead');
  t.match(own, /:focus-visible[^{]*\{[^}]*outline:\s*3px solid/, 'fields show focus like the links and buttons');
  t.match(own, /\.up-button\s*\{[^}]*min-block-size:\s*44px/, 'buttons big enough for a finger');
  t.notMatch(own, /@font-face|@import|url\(/, 'nothing more to download');
});

t.test('visible focus, reduced motion, system fonts with an Arabic fallback, and small', async (t) => {
  t.match(rules, /:focus-visible[^{]*\{[^}]*outline:\s*3px solid/);
  t.match(rules, /@media \(prefers-reduced-motion: reduce\)/);
  t.notMatch(rules, /@font-face|@import|url\(/, 'nothing more to download');
  t.match(rules, /:lang\(ar\)[^{]*\{[^}]*font-family:[^;]*Arabic/);
  t.ok(Buffer.byteLength(css) < 10_000, `${Buffer.byteLength(css)} bytes`);
});

t.test('the console\'s stylesheet: logical properties only, visible focus', async (t) => {
  const own = (await readFile(new URL('../../src/web/static/admin.css', import.meta.url), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
  t.same(own.match(/\b(margin|padding|border)-(left|right)\b/g) ?? [], []);
  t.same(own.match(/(^|[\s;{])(left|right)\s*:/g) ?? [], []);
  t.same(own.match(/\b(text-align|float|clear)\s*:\s*(left|right)\b/g) ?? [], []);
  t.same(own.match(/(^|[\s;{])(width|height)\s*:/g) ?? [], [], 'inline-size and block-size instead');
  t.match(own, /:focus-visible[^{]*\{[^}]*outline:\s*3px solid/);
});
