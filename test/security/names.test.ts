/** Hostile file names: stored as text only, sanitised wherever they are shown, never a key or a path. */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { s3Kinds } from '../helpers/context.js';
import { fixture, gallery, postParts } from '../helpers/refusal.js';
import { runWorkers, settled } from '../helpers/workers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const names: { what: string; name: string }[] = [
  { what: 'a path climbing out', name: '../../etc/passwd' },
  { what: 'a Windows path', name: '..\\..\\boot.ini' },
  { what: 'an RTL override hiding an extension', name: 'photo\u202Egpj.exe' },
  { what: 'other bidi controls and isolates', name: '\u2066a\u2067b\u2068c\u2069\u200Fd.jpg' },
  { what: '300 bytes of UTF-8', name: `${'ش'.repeat(148)}.jpg` },
  // a raw CR/LF cannot stand in a multipart header (it ends it); the quote and markup can
  { what: 'quotes, a semicolon and markup', name: 'a"; filename="evil.html\'<script>x</script>.jpg' },
  { what: 'a NUL and control characters', name: 'a\u0000b\u0007c.jpg' },
];

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    for (const c of names) {
      t.test(`keeps ${c.what} as sanitised text only: server-made key, safe in JSON`, async (t) => {
        const g = await gallery(t, s3);
        runWorkers(t, g.ctx, ['images']);
        const res = await postParts(g, [{ name: 'file', filename: c.name, body: await readFile(fixture('exif-orientation_1.jpg')) }]);
        t.equal(res.statusCode, 201, JSON.stringify(res.json));
        const id = res.json.assets[0].id as string;
        t.match(id, UUID);
        t.same(await g.lane.storage.list(''), [`originals/${id}`], 'the only object is under a server-made key');
        const insider = (await g.ctx.app.inject({ url: `/api/v1/assets/${id}`, headers: g.ctx.auth(g.ctx.admin) })).json();
        const stored = insider.originalFilename as string;
        t.notMatch(stored, /[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]/, `kept without controls, bidi marks or separators: ${JSON.stringify(stored)}`);
        t.match(await settled(g.ctx, id), { status: 'ready' });
        t.notOk(JSON.stringify((await g.ctx.app.inject({ url: `/api/v1/assets/${id}` })).json()).includes('etc/passwd'), 'the public JSON does not carry the name');
      });
    }
  });
}
