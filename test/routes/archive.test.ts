/**
 * GET …/archive.zip: an album of 50 photos as press gets it, checked with unzip and exiftool;
 * who may have it; and a client that leaves stops the work.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { inspector, privateTags, run, tagOf, uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const { exiftool, work, file: scratch } = await inspector(t);
/** unzip reads and writes UTF-8 names only in a UTF-8 locale */
const UTF8 = { env: { ...process.env, LC_ALL: 'C.UTF-8' } };

/** A small photo of its own colour (no two alike, so none is a duplicate), with GPS written in. */
async function photo(i: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
    .jpeg().toBuffer();
  const file = await scratch(`p${i}.jpg`, jpeg);
  await exiftool.write(file, { GPSLatitude: 36.19 + i / 1000, GPSLongitude: 44.01, 'EXIF:SerialNumber': `SN${1000 + i}` } as never, { writeArgs: ['-overwrite_original'] });
  return readFile(file);
}

async function album(ctx: TestContext, n: number, caption = (i: number) => ({ ar: `الصورة رقم ${i}`, en: `Photo ${i}` })): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await uploadOne(ctx, `p${i}.jpg`, await photo(i))).id);
  for (const [i, id] of ids.entries()) {
    if ((await settled(ctx, id)).status !== 'ready') throw new Error(`photo ${i} not ready`);
    const credit = i % 2 === 0 ? 'سارا أحمد' : 'Jan Novák';
    await ctx.app.inject({ method: 'PATCH', url: `/api/v1/assets/${id}`, headers: ctx.auth(ctx.admin), payload: { caption: caption(i), credit } });
  }
  return ids;
}

t.test('an album of 50 photos as one ZIP: every press file, captions.csv, captions.json and README, stored, UTF-8 names', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  await album(ctx, 50);
  const press = await ctx.mint('press', 'conf');
  const res = await ctx.app.inject({ url: '/api/v1/events/conf/albums/day-1/archive.zip', headers: ctx.auth(press) });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/zip');
  t.equal(res.headers['content-disposition'], 'attachment; filename=conf_day-1.zip');
  const zip = await scratch('album.zip', res.rawPayload);

  const test = await run('unzip', ['-t', zip], UTF8);
  t.match(test.stdout, /No errors detected/, 'unzip -t');
  const names = (await run('zipinfo', ['-1', zip], UTF8)).stdout.trim().split('\n');
  t.equal(names.length, 53, '50 photos and three texts');
  t.ok(names.includes('conf_day-1/README.txt') && names.includes('conf_day-1/captions.csv') && names.includes('conf_day-1/captions.json'));
  t.equal(names.filter((n) => /^conf_day-1\/conf_day-1_\d{3}_سارا-أحمد\.jpg$/.test(n)).length, 25, 'Arabic names, in UTF-8');
  t.equal(names.filter((n) => /^conf_day-1\/conf_day-1_\d{3}_Jan-Novák\.jpg$/.test(n)).length, 25);
  const listing = (await run('zipinfo', ['-l', zip], UTF8)).stdout;
  t.notMatch(listing, /defN/, 'every entry stored, none deflated');

  await run('unzip', ['-q', '-o', zip, '-d', `${work}/out`], UTF8);
  const manifest = JSON.parse(await readFile(`${work}/out/conf_day-1/captions.json`, 'utf8'));
  t.equal(manifest.files.length, 50);
  const zero = manifest.files.find((f: { caption: { en?: string } }) => f.caption.en === 'Photo 0');
  t.match(zero, { file: /^conf_day-1_\d{3}_سارا-أحمد\.jpg$/, caption: { ar: 'الصورة رقم 0', en: 'Photo 0' }, credit: 'سارا أحمد', kind: 'image' });
  t.same(manifest.files.map((f: { file: string }) => `conf_day-1/${f.file}`).sort(), names.filter((n) => n.endsWith('.jpg')).sort(), 'the manifest lists exactly the files');
  const first = `${work}/out/conf_day-1/${zero.file}`;
  t.same(await privateTags(exiftool, first), [], 'the press file, without GPS or serial');
  t.equal(await tagOf(exiftool, first, 'XMP-dc:Description-ar'), 'الصورة رقم 0');
  t.equal(await tagOf(exiftool, first, 'IPTC:By-line'), 'سارا أحمد');
  const csv = await readFile(`${work}/out/conf_day-1/captions.csv`, 'utf8');
  t.match(csv, /^\ufefffile,caption_ar,caption_en,caption_ku,credit,/);
  t.match(csv, /conf_day-1_\d{3}_Jan-Novák\.jpg,الصورة رقم 49,Photo 49,,Jan Novák,/);
  const readme = await readFile(`${work}/out/conf_day-1/README.txt`, 'utf8');
  t.match(readme, /عند نشر صورة/, 'the README in Arabic, the default');
  t.match(readme, /When you publish a photo/, 'and English');
  t.match(readme, /Binnivîs/, 'and Kurmanji');
});

t.test('who gets the archive: press of the event once the album is public, editors and admins; not the public', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  await seedEvent(ctx, { event: 'other' });
  const url = (a = 'day-1') => `/api/v1/events/conf/albums/${a}/archive.zip`;
  t.match((await ctx.app.inject({ url: url() })).json(), { statusCode: 401, code: 'LAMHA_UNAUTHORIZED' });
  t.match((await ctx.app.inject({ url: url(), headers: ctx.auth(await ctx.mint('press', 'other')) })).json(), { statusCode: 403 });
  t.match((await ctx.app.inject({ url: url(), headers: ctx.auth(await ctx.mint('photographer', 'conf')) })).json(), { statusCode: 403 });
  t.equal((await ctx.app.inject({ url: url(), headers: ctx.auth(await ctx.mint('editor', 'conf')) })).statusCode, 200);
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: ctx.auth(ctx.admin), payload: { status: 'draft' } });
  t.match((await ctx.app.inject({ url: url(), headers: ctx.auth(await ctx.mint('press', 'conf')) })).json(), { statusCode: 404 }, 'press: an unpublished album does not exist');
});

t.test('a client that leaves mid-archive stops the work: no more press files are made', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx);
  runWorkers(t, ctx, ['images']);
  await album(ctx, 24);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ctx.app.server.address() as AddressInfo;
  const press = await ctx.mint('press', 'conf');
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/api/v1/events/conf/albums/day-1/archive.zip', headers: ctx.auth(press) }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
  });
  const count = async () => (await ctx.storage.list('press/')).length;
  // files being made when it left are finished; then nothing more comes, however long one waits
  let made = await count();
  for (let stable = 0, waited = 0; stable < 3000 && waited < 30_000; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await count();
    stable = now === made ? stable + 500 : 0;
    made = now;
  }
  t.ok(made < 24, `only the files made before it left (${made} of 24)`);
  await new Promise((r) => setTimeout(r, 2000));
  t.equal(await count(), made, 'nothing is made after the client left');
});
