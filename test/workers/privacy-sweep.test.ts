/**
 * The privacy sweep: every camera, phone and document fixture goes through the real API and
 * workers into a published album of an event that keeps locations (so the stored originals
 * still hold them); then everything the public can fetch — each rendition, every HLS playlist,
 * init segment and media segment, download.mp4, posters, storyboards, document PDFs and
 * previews, the asset, album and event JSON, and the event, album and asset pages in every
 * locale — is read as the public reads it and searched:
 * - exiftool (all groups, embedded streams) finds no GPS, place, serial or owner tag in any file;
 * - no GPS coordinate, serial number or owner name of any original appears anywhere, in a file's
 *   bytes, its exiftool or ffprobe dump, the JSON or the HTML.
 * The forbidden values are read from each original here, by exiftool, not by the code under test.
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { fixture, inspector, run, uploadOne } from '../helpers/originals.js';
import { runWorkers, settled } from '../helpers/workers.js';

const { exiftool, file: scratch } = await inspector(t);

/** Refused at upload on purpose (pixel limits): not part of what the public could ever see. */
const REFUSED = new Set(['heif_small-primary_huge-secondary.heic', 'tiff_small-page1_huge-page2.tif']);
const FIXTURES = readdirSync(fixture('')).filter((f) => /\.(jpe?g|png|gif|webp|avif|heic|tiff?|mp4|mov|mkv|webm|mts|avi|3gp|pdf)$/i.test(f) && !REFUSED.has(f)).sort();
const PRIVATE_TAG = /gps|serial|owner|location|latitude|longitude|^(city|state|country|countrycode|province-state|sub-location)$/i;
const WORKFLOW_CREDIT = /^(IPTC:By-line|IPTC:Credit|XMP-dc:Creator|XMP-photoshop:Credit)$/;

interface Forbidden { value: string; why: string }

/** What no public output may contain, read from an original with exiftool. */
async function forbiddenIn(file: string, log: (msg: string) => void): Promise<Forbidden[]> {
  const tags = await exiftool.readRaw(file, { readArgs: ['-a', '-G1', '-n', '-ee', '-api', 'LargeFileSupport=1'] }) as Record<string, unknown>;
  const credits = new Set(Object.entries(tags).filter(([k]) => WORKFLOW_CREDIT.test(k)).flatMap(([, v]) => (Array.isArray(v) ? v : [v])).map(String));
  const out: Forbidden[] = [];
  for (const [key, raw] of Object.entries(tags)) {
    const [group, name] = key.split(':');
    if (!name || group === 'Composite' || group === 'System' || group === 'File') continue;
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    if (/GPS(Latitude|Longitude|Coordinates|Position)$|^(Absolute|Relative)?Altitude$/i.test(name) || /Latitude|Longitude/i.test(name)) {
      for (const number of values.flatMap((v) => v.match(/-?\d+\.\d+/g) ?? [])) {
        const x = Math.abs(Number(number));
        if (x < 1) continue; // 0.3713 of a southern latitude is caught by its other forms below
        out.push({ value: x.toFixed(4), why: key }, { value: x.toFixed(3), why: key });
      }
    } else if (/serial/i.test(name)) {
      for (const v of values) {
        if (v.trim().length >= 4 && !/^0+$/.test(v.trim())) out.push({ value: v.trim(), why: key });
        else log(`${path.basename(file)}: ${key} "${v}" is too short to look for`);
      }
    } else if (/owner/i.test(name) || (group === 'IFD0' && name === 'Artist')) {
      for (const v of values) {
        if (credits.has(v)) log(`${path.basename(file)}: ${key} "${v}" is also the file's IPTC/XMP credit, which may be public`);
        else if (v.trim().length >= 3 && !/^unknown$/i.test(v.trim())) out.push({ value: v.trim(), why: key });
        else log(`${path.basename(file)}: ${key} "${v}" is too short or a placeholder to look for`);
      }
    }
  }
  return out;
}

/** Every URL an HLS playlist names, resolved against the playlist's own. */
function playlistUris(text: string, base: string): string[] {
  const uris: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l) continue;
    if (l.startsWith('#')) {
      for (const m of l.matchAll(/URI="([^"]+)"/g)) uris.push(new URL(m[1]!, `http://x${base}`).pathname + new URL(m[1]!, `http://x${base}`).search);
    } else {
      const u = new URL(l, `http://x${base}`);
      uris.push(u.pathname + u.search);
    }
  }
  return uris;
}

interface Output { url: string; body: Buffer; type: string }

/** Everything the public can fetch of one asset, following playlists. */
async function publicOutputs(ctx: TestContext, id: string): Promise<Output[]> {
  const outputs: Output[] = [];
  const get = async (url: string): Promise<Output> => {
    const res = await ctx.app.inject({ url });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
    const out = { url, body: res.rawPayload, type: String(res.headers['content-type']) };
    outputs.push(out);
    return out;
  };
  const json = await get(`/api/v1/assets/${id}`);
  const asset = JSON.parse(json.body.toString('utf8'));
  const seen = new Set<string>();
  const queue: string[] = Object.values(asset.renditions as Record<string, { url: string }>).map((r) => new URL(r.url).pathname + new URL(r.url).search);
  for (const s of Object.values(asset.subtitles ?? {}) as { url: string }[]) queue.push(new URL(s.url).pathname + new URL(s.url).search);
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const out = await get(url);
    if (out.type.includes('mpegurl')) queue.push(...playlistUris(out.body.toString('utf8'), url.split('?')[0]!));
  }
  for (const locale of ['ar', 'en', 'ku']) await get(`/${locale}/e/conf/day-1/${id}`);
  return outputs;
}

const EXT: Record<string, string> = { 'image/webp': 'webp', 'image/jpeg': 'jpg', 'image/png': 'png', 'video/mp4': 'mp4', 'video/iso.segment': 'm4s', 'application/pdf': 'pdf' };

t.test('nothing of where, which camera body or whose: every public output of every fixture', async (t) => {
  const ctx = await createTestContext(t);
  await seedEvent(ctx, { keepLocation: true });
  runWorkers(t, ctx, ['images', 'videos']);

  const uploads: { name: string; id: string; forbidden: Forbidden[] }[] = [];
  for (const name of FIXTURES) {
    const forbidden = await forbiddenIn(fixture(name), (m) => t.comment(m));
    uploads.push({ name, id: (await uploadOne(ctx, name)).id, forbidden });
  }
  const all = uploads.flatMap((u) => u.forbidden.map((f) => ({ ...f, from: u.name })));
  t.ok(all.some((f) => /GPS/i.test(f.why)) && all.some((f) => /Serial/i.test(f.why)) && all.some((f) => /Owner|Artist/i.test(f.why)),
    `the fixtures give positions, serials and owner names to look for (${all.length} values)`);

  const outputs: Output[] = [];
  for (const u of uploads) {
    const { status, error } = await settled(ctx, u.id, 180_000);
    t.equal(status, 'ready', `${u.name} is ready${error ? `: ${error}` : ''}`);
    if (status === 'ready') outputs.push(...(await publicOutputs(ctx, u.id)));
  }
  for (const url of ['/api/v1/events/conf', '/api/v1/events/conf/albums/day-1?limit=200', '/ar/e/conf', '/en/e/conf/day-1', '/ku/e/conf/day-1', '/ar/e/conf/day-1']) {
    const res = await ctx.app.inject({ url });
    t.equal(res.statusCode, 200, url);
    outputs.push({ url, body: res.rawPayload, type: String(res.headers['content-type']) });
  }
  t.ok(outputs.filter((o) => o.type.startsWith('video/')).length >= 20, 'video renditions and segments were looked at');

  const leaks: string[] = [];
  for (const out of outputs) {
    const texts = [out.body.toString('latin1'), out.body.toString('utf8')];
    const binary = !/json|html|text|mpegurl|vtt/.test(out.type);
    if (binary) {
      const file = await scratch(`out.${EXT[out.type.split(';')[0]!] ?? 'bin'}`, out.body);
      const tags = await exiftool.readRaw(file, { readArgs: ['-a', '-G1', '-ee', '-u', '-api', 'LargeFileSupport=1'] }) as Record<string, unknown>;
      for (const key of Object.keys(tags)) {
        const [group, name] = key.split(':');
        if (name && !/^(System|File|ExifTool)$/.test(group!) && PRIVATE_TAG.test(name)) leaks.push(`${out.url}: exiftool finds ${key}`);
      }
      texts.push(JSON.stringify(tags));
      if (out.type.startsWith('video/')) {
        const probe = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
        texts.push(probe.stdout);
      }
    }
    for (const f of all) if (texts.some((s) => s.includes(f.value))) leaks.push(`${out.url}: "${f.value}" (${f.why} of ${f.from})`);
  }
  t.same(leaks, [], `no position, serial or owner in ${outputs.length} public outputs`);
});
