/** Requests over the multipart limits (src/app.ts): refused with a LAMHA_ code, and the files taken before the limit are removed. */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { s3Kinds } from '../helpers/context.js';
import type { FormPart } from '../helpers/multipart.js';
import { assertRefused, fixture, gallery, postParts } from '../helpers/refusal.js';

const cases: { what: string; parts: (png: Buffer) => FormPart[]; status: number; code: string }[] = [
  {
    // 1000 files a request; the same bytes each time, so the ones before the limit are one stored duplicate
    what: '1001 files', parts: (png) => Array.from({ length: 1001 }, (_, i) => ({ name: 'file', filename: `p${i}.png`, body: png })),
    status: 413, code: 'LAMHA_TOO_MANY_PARTS',
  },
  {
    what: '21 fields after a file', parts: (png) => [{ name: 'file', filename: 'p.png', body: png }, ...Array.from({ length: 21 }, (_, i) => ({ name: 'caption', body: `c${i}` }))],
    status: 413, code: 'LAMHA_TOO_MANY_PARTS',
  },
  {
    // 80 000 bytes: over busboy's 64 KiB field limit, which the upload reports as the caption being too long
    what: 'a caption field over 64 KiB', parts: (png) => [{ name: 'file', filename: 'p.png', body: png }, { name: 'caption', body: 'ا'.repeat(40_000) }],
    status: 400, code: 'LAMHA_VALIDATION',
  },
  {
    what: 'a credit over its 500 characters', parts: (png) => [{ name: 'credit', body: 'x'.repeat(501) }, { name: 'file', filename: 'p.png', body: png }],
    status: 400, code: 'LAMHA_VALIDATION',
  },
];

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    for (const c of cases) {
      t.test(`refuses ${c.what} with ${c.status} ${c.code} and removes what it took`, async (t) => {
        const g = await gallery(t, s3);
        const png = await readFile(fixture('png_16bit_rgb_trns.png'));
        await assertRefused(t, g, c.what, await postParts(g, c.parts(png)), c.status, c.code);
      });
    }

    t.test('refuses a file over UPLOAD_MAX_BYTES with 413 LAMHA_TOO_LARGE and removes its parts', async (t) => {
      const g = await gallery(t, s3, { env: { UPLOAD_MAX_BYTES: String(6 * 1024 * 1024) } });
      const big = Buffer.concat([await readFile(fixture('jpeg_vivo-x90pro_gps_offsettime.jpg')), Buffer.alloc(3 * 1024 * 1024)]);
      await assertRefused(t, g, 'a 6.8 MiB file', await postParts(g, [{ name: 'file', filename: 'big.jpg', body: big }]), 413, 'LAMHA_TOO_LARGE');
    });
  });
}
