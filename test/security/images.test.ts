/**
 * Hostile images at the upload route: each refused one leaves nothing behind; each one that is
 * legitimately an image is stored under a server-made key and its public renditions carry none
 * of what was smuggled in.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { s3Kinds } from '../helpers/context.js';
import { heifWithSecondary, iccpBomb, pngChunk as pngChunkOf, jpegHtmlPolyglot, pngClaiming, pngWith, pngWithHugeExif, zTxtBomb } from '../helpers/bad-files.js';
import type { FormPart } from '../helpers/multipart.js';
import { fixture, gallery, leftovers, nothing, postParts, testRefusals, type Gallery, type Refusal } from '../helpers/refusal.js';
import { runWorkers, settled } from '../helpers/workers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARKER = 'LAMHA-SMUGGLED-7f3c';


const file = (filename: string, body: Buffer | string, contentType?: string): FormPart => ({ name: 'file', filename, body, ...(contentType && { contentType }) });

const refusals: Refusal[] = [
  { what: 'zero bytes', part: async () => file('empty.jpg', Buffer.alloc(0), 'image/jpeg'), status: 400, code: 'LAMHA_EMPTY_FILE' },
  { what: 'a 50 000 × 50 000 PNG', part: async () => file('bomb.png', pngClaiming(50_000, 50_000)), status: 422, code: 'LAMHA_PIXEL_LIMIT' },
  {
    what: 'an SVG with a script',
    part: async () => file('photo.jpg', `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>`, 'image/jpeg'),
    status: 415, code: 'LAMHA_UNSUPPORTED_TYPE',
  },
  {
    what: 'an SVG with an external entity (XXE)',
    part: async () => file('x.svg', `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>`, 'image/svg+xml'),
    status: 415, code: 'LAMHA_UNSUPPORTED_TYPE',
  },
  { what: 'unknown bytes', part: async () => file('a.jpg', Buffer.alloc(10_000, 7), 'image/jpeg'), status: 415, code: 'LAMHA_UNSUPPORTED_TYPE' },
  {
    what: 'a HEIF with a small primary image and a secondary image over IMAGE_MAX_PIXELS',
    part: async () => file('phone.heic', await heifWithSecondary(640, 480)),
    // 64 × 64 primary passes; 640 × 480 = 307 200 pixels does not: every image the header declares counts
    env: { IMAGE_MAX_PIXELS: '100000' },
    status: 422, code: 'LAMHA_PIXEL_LIMIT',
  },
];

/** Inputs whose head is sound, so the upload takes them; the worker must then end them failed with the code, publishing nothing. */
const failedInWorker: Refusal[] = [
  {
    what: 'a truncated JPEG (its header and half its scan)',
    part: async () => { const j = await readFile(fixture('exif-orientation_1.jpg')); return file('cut.jpg', j.subarray(0, Math.floor(j.length / 2))); },
    status: 201, code: 'LAMHA_UNDECODABLE', error: /^LAMHA_UNDECODABLE: The file cannot be decoded: /,
  },
];

interface Accepted {
  what: string;
  part: () => Promise<FormPart>;
  mime: string;
}

const accepted: Accepted[] = [
  { what: 'a .jpg that is a PNG is taken as the PNG its bytes are', part: async () => file('holiday.jpg', await readFile(fixture('png_rgba_alpha.png')), 'image/jpeg'), mime: 'image/png' },
  { what: 'a JPEG+HTML polyglot is a JPEG, and its markup reaches no public output', part: async () => file('page.jpg', await jpegHtmlPolyglot(`<html><body><script>alert('${MARKER}')</script></body></html>`), 'text/html'), mime: 'image/jpeg' },
  { what: 'a PNG with a zTXt that inflates to 64 MiB is processed within limits, its text dropped', part: async () => file('z.png', await pngWith(zTxtBomb(64 * 1024 * 1024), markerText(MARKER))), mime: 'image/png' },
  { what: 'a PNG with an iCCP that inflates to 64 MiB is processed within limits, its profile dropped', part: async () => file('i.png', await pngWith(iccpBomb(64 * 1024 * 1024), markerText(MARKER))), mime: 'image/png' },
  { what: 'a PNG with a 1 MB EXIF block is processed, the block dropped', part: async () => file('e.png', await pngWithHugeExif(1024 * 1024, MARKER)), mime: 'image/png' },
];

function markerText(text: string): Buffer {
  // a plain tEXt beside the bomb: a marker the outputs must not carry
  return pngChunkOf('tEXt', Buffer.from(`Comment\0${text}`, 'latin1'));
}

/** Every public byte of an asset: its JSON and each rendition it lists, fetched as a visitor would. */
async function publicBytes(g: Gallery, id: string): Promise<{ json: any; blobs: Map<string, Buffer> }> {
  const res = await g.ctx.app.inject({ url: `/api/v1/assets/${id}` });
  const json = res.json();
  const blobs = new Map<string, Buffer>([['asset JSON', res.rawPayload]]);
  for (const [name, r] of Object.entries(json.renditions ?? {}) as [string, { url: string }][]) {
    const m = await g.ctx.app.inject({ url: new URL(r.url).pathname });
    blobs.set(name, m.rawPayload);
  }
  return { json, blobs };
}

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    testRefusals(t, s3, refusals);

    for (const c of failedInWorker) {
      t.test(`ends ${c.what} failed with ${c.code} in the worker, publishing nothing`, async (t) => {
        const g = await gallery(t, s3, c.env ? { env: c.env } : {});
        runWorkers(t, g.ctx, ['images']);
        const res = await postParts(g, [await c.part()]);
        t.equal(res.statusCode, c.status, JSON.stringify(res.json));
        const id = res.json.assets[0].id as string;
        const end = await settled(g.ctx, id);
        t.equal(end.status, 'failed', `${c.what}: failed (${end.error})`);
        t.match(end.error ?? '', c.error!, `${c.what}: the error is ${c.code} and its message`);
        t.same(await g.lane.storage.list('renditions/'), [], 'no rendition object');
        t.equal((await leftovers(g)).renditions, 0, 'no rendition row');
        t.equal((await g.ctx.app.inject({ url: `/api/v1/assets/${id}` })).statusCode, 404, 'the public sees nothing');
      });
    }

    for (const c of accepted) {
      t.test(c.what, async (t) => {
        const g = await gallery(t, s3);
        runWorkers(t, g.ctx, ['images']);
        const res = await postParts(g, [await c.part()]);
        t.equal(res.statusCode, 201, JSON.stringify(res.json));
        const id = res.json.assets[0].id as string;
        t.match(id, UUID, 'the asset id is server-made');
        const { rows } = await g.ctx.db.query('SELECT mime_type FROM assets WHERE id = $1', [id]);
        t.equal(rows[0].mime_type, c.mime, 'the type comes from the bytes');
        t.same(await g.lane.storage.list('originals/'), [`originals/${id}`], 'the only original is under a server-made key');
        t.match(await settled(g.ctx, id), { status: 'ready' }, 'the worker makes its renditions');
        const { json, blobs } = await publicBytes(g, id);
        t.ok(Object.keys(json.renditions).length > 0, 'the public sees renditions');
        for (const [name, bytes] of blobs) {
          t.notOk(bytes.includes(MARKER), `${name}: carries nothing smuggled in`);
          t.notOk(bytes.includes('<script'), `${name}: carries no markup`);
        }
        t.same((await leftovers(g)).incomplete, nothing(g).incomplete, 'no multipart upload left');
      });
    }

    t.test('the public asset JSON carries no fingerprint of the original (sha256, bytes); an insider still sees them', async (t) => {
      const g = await gallery(t, s3);
      runWorkers(t, g.ctx, ['images']);
      const res = await postParts(g, [file('p.png', await readFile(fixture('png_rgba_alpha.png')))]);
      const id = res.json.assets[0].id as string;
      t.match(await settled(g.ctx, id), { status: 'ready' });
      const pub = (await g.ctx.app.inject({ url: `/api/v1/assets/${id}` })).json();
      t.notOk('sha256' in pub, 'no sha256 for the public');
      t.notOk('bytes' in pub, 'no bytes for the public');
      const insider = (await g.ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: g.ctx.auth(g.photographer) })).json();
      t.match(insider, { sha256: /^[0-9a-f]{64}$/, bytes: Number }, 'the uploader sees them');
    });
  });
}
