/**
 * The console's strings: every file of src/web/locales/admin/ (one per console area) is read,
 * so an area added later is checked without being listed here.
 */
import { readdirSync } from 'node:fs';
import t from 'tap';
import { LOCALES } from '../../src/locales.js';
import type { AdminStrings } from '../../src/web/locales/admin/define.js';

const dir = new URL('../../src/web/locales/admin/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'define.ts');

const sets: [string, AdminStrings<string>][] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(mod)) {
    if (value && typeof value === 'object' && 'text' in value && 'translator' in value) sets.push([`${file}:${name}`, value as AdminStrings<string>]);
  }
}

t.test('every console strings file defines its strings with defineStrings', async (t) => {
  t.ok(files.includes('console.ts'));
  t.equal(new Set(sets.map(([n]) => n.split(':')[0])).size, files.length, 'each file exports a strings set');
});

for (const [name, { text }] of sets) {
  t.test(`${name}: every locale, every key, real translations`, async (t) => {
    const keys = Object.keys(text.en);
    t.ok(keys.length > 0);
    for (const locale of LOCALES) {
      const strings = text[locale] as Record<string, string>;
      t.same(keys.filter((k) => typeof strings[k] !== 'string' || strings[k]!.trim() === ''), [], `${locale}: nothing missing or empty`);
      t.same(Object.keys(strings).filter((k) => !keys.includes(k)), [], `${locale}: no key English lacks`);
      // placeholders survive translation
      for (const k of keys) t.same((strings[k]!.match(/\{\w+\}/g) ?? []).sort(), (text.en[k]!.match(/\{\w+\}/g) ?? []).sort(), `${locale} ${k}: placeholders`);
    }
    for (const locale of ['ar', 'ku', 'ckb', 'fr'] as const) {
      const same = keys.filter((k) => (text[locale] as Record<string, string>)[k] === text.en[k]);
      t.ok(same.length <= Math.max(2, keys.length / 10), `${locale}: ${same.length} strings equal to English (${same.join(', ')})`);
    }
    for (const locale of ['ar', 'ckb'] as const) {
      const latin = keys.filter((k) => /[A-Za-z]{3}/.test((text[locale] as Record<string, string>)[k]!.replace(/\{\w+\}/g, '')));
      t.same(latin, [], `${locale}: written in Arabic script`);
    }
  });
}
