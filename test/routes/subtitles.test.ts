import t from 'tap';
import { createTestContext, seedEvent, type TestContext } from '../helpers/context.js';
import { filePart, multipart } from '../helpers/multipart.js';
import { unchangedIfRefused } from '../helpers/state.js';
import { runWorkers, settled } from '../helpers/workers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

const ARABIC_SRT = Buffer.from(
  '\uFEFF1\r\n00:00:01,000 --> 00:00:03,500\r\nمرحباً بكم في المؤتمر\r\n\r\n2\r\n00:00:04,000 --> 00:00:06,250\r\n<i>شكراً</i> لحضوركم & مشاركتكم\r\n\r\n',
  'utf8',
);
const ARABIC_VTT = Buffer.from(
  'WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nمرحباً بكم في المؤتمر\n\n00:00:04.000 --> 00:00:06.250\n<i>شكراً</i> لحضوركم &amp; مشاركتكم\n',
  'utf8',
);

async function uploadAs(ctx: TestContext, token: string, file: string): Promise<string> {
  const form = multipart([filePart(fixture(file))]);
  const res = await ctx.app.inject({
    method: 'POST', url: '/api/v1/events/conf/albums/day-1/assets', headers: { ...ctx.auth(token), ...form.headers }, payload: form.body,
  });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.body}`);
  return res.json().assets[0].id;
}

/** What the transcode worker leaves behind; this test needs the asset public, not transcoded. */
async function markReady(ctx: TestContext, id: string): Promise<void> {
  await ctx.db.query(`UPDATE assets SET status = 'ready' WHERE id = $1`, [id]);
}

function put(ctx: TestContext, id: string, locale: string, body: Buffer | string, headers: Record<string, string> = {}, contentType = 'text/vtt') {
  return ctx.app.inject({ method: 'PUT', url: `/api/v1/assets/${id}/subtitles/${locale}`, headers: { 'content-type': contentType, ...headers }, payload: body });
}

async function storedBytes(ctx: TestContext, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await ctx.storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function subtitleObjects(ctx: TestContext): Promise<string[]> {
  return (await ctx.storage.list('renditions/')).filter((k) => k.includes('/subtitles/')).sort();
}

async function subtitleRows(ctx: TestContext): Promise<{ asset_id: string; locale: string; bytes: number; cue_count: number }[]> {
  const { rows } = await ctx.db.query('SELECT asset_id, locale, bytes, cue_count FROM subtitles ORDER BY asset_id, locale');
  return rows;
}

interface Setup {
  ctx: TestContext;
  owner: string;
  video: string;
}

async function setup(t: Parameters<typeof createTestContext>[0]): Promise<Setup> {
  const ctx = await createTestContext(t);
  await seedEvent(ctx); // locales ar, en, ku; published
  const owner = await ctx.mint('photographer', 'conf');
  const video = await uploadAs(ctx, owner, 'mp4_h264_aac_imovie.mp4');
  return { ctx, owner, video };
}

t.test('subtitles round-trip: an Arabic SRT with a BOM and CRLF is stored as exact WebVTT and served back byte for byte', async (t) => {
  const { ctx, owner, video } = await setup(t);
  const res = await put(ctx, video, 'ar', ARABIC_SRT, ctx.auth(owner), 'application/x-subrip');
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), {
    locale: 'ar', url: `http://gallery.test/api/v1/assets/${video}/subtitles/ar`, label: 'العربية', dir: 'rtl',
    bytes: ARABIC_VTT.length, cues: 2, updatedAt: res.json().updatedAt,
  });

  const key = `renditions/${video}/subtitles/ar.vtt`;
  t.same(await subtitleObjects(ctx), [key]);
  t.ok((await storedBytes(ctx, key)).equals(ARABIC_VTT), 'the stored object is the expected WebVTT, byte for byte');
  t.equal((await ctx.storage.stat(key)).contentType, 'text/vtt; charset=utf-8');
  t.same(await subtitleRows(ctx), [{ asset_id: video, locale: 'ar', bytes: ARABIC_VTT.length, cue_count: 2 }]);

  const got = await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: ctx.auth(owner) });
  t.equal(got.statusCode, 200);
  t.equal(got.headers['content-type'], 'text/vtt; charset=utf-8');
  t.equal(got.headers['cache-control'], 'private, no-store', 'the video is still processing: not public');
  t.ok(got.rawPayload.equals(ARABIC_VTT), 'GET answers the same bytes');
  const again = await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: { ...ctx.auth(owner), 'if-none-match': String(got.headers.etag) } });
  t.equal(again.statusCode, 304);
  const revalidate = (tags: string) => ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: { ...ctx.auth(owner), 'if-none-match': tags } });
  t.equal((await revalidate(`"stale-copy", ${String(got.headers.etag)}`)).statusCode, 304, 'one tag of a list');
  t.equal((await revalidate(`W/${String(got.headers.etag)}`)).statusCode, 304, 'a weak tag (a cache that compressed it)');
  t.equal((await revalidate('"stale-copy"')).statusCode, 200, 'another tag: the track');

  const asset = await ctx.app.inject({ url: `/api/v1/assets/${video}`, headers: ctx.auth(owner) });
  t.same(asset.json().subtitles, { ar: { url: `http://gallery.test/api/v1/assets/${video}/subtitles/ar`, label: 'العربية', dir: 'rtl' } });

  // a second PUT replaces (200), and a second locale is listed beside the first
  const replaced = await put(ctx, video, 'ar', 'WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nنص جديد\n', ctx.auth(owner));
  t.equal(replaced.statusCode, 200, replaced.body);
  const now = await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: ctx.auth(owner) });
  t.equal(now.body, 'WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nنص جديد\n');
  t.not(now.headers.etag, got.headers.etag, 'a replaced track has a new ETag');
  t.equal((await put(ctx, video, 'en', 'WEBVTT\n\n00:01.000 --> 00:02.000\nWelcome\n', ctx.auth(owner), 'text/plain')).statusCode, 201);
  const listed = await ctx.app.inject({ url: `/api/v1/assets/${video}`, headers: ctx.auth(owner) });
  t.same(Object.keys(listed.json().subtitles).sort(), ['ar', 'en']);
  t.equal(listed.json().subtitles.en.dir, 'ltr');
  t.same(await subtitleObjects(ctx), [`renditions/${video}/subtitles/ar.vtt`, `renditions/${video}/subtitles/en.vtt`]);
});

t.test('WebVTT passes through with its styling tags; a <script> in a cue is escaped', async (t) => {
  const { ctx, owner, video } = await setup(t);
  const vtt = 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<b>Panel</b> <i>one</i> <c.yellow>live</c> <v Moderator>سؤال؟</v>\n\n00:00:02.000 --> 00:00:04.000\n<script>alert(document.cookie)</script><u>x</u>\n';
  const res = await put(ctx, video, 'ar', vtt, ctx.auth(owner));
  t.equal(res.statusCode, 201, res.body);
  const got = await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: ctx.auth(owner) });
  t.equal(got.body, 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<b>Panel</b> <i>one</i> <c.yellow>live</c> <v Moderator>سؤال؟</v>\n\n00:00:02.000 --> 00:00:04.000\n&lt;script&gt;alert(document.cookie)&lt;/script&gt;<u>x</u>\n');
  t.notMatch(got.body, /<script/);
});

t.test('refuses invalid subtitles with 4xx and a stable code, and stores nothing', async (t) => {
  const { ctx, owner, video } = await setup(t);
  const photo = await uploadAs(ctx, owner, 'exif-orientation_1.jpg');
  const headers = ctx.auth(owner);
  const cases: [string, () => ReturnType<typeof put>, number, string][] = [
    ['end before start', () => put(ctx, video, 'ar', 'WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nx\n', headers), 400, 'LAMHA_INVALID_SUBTITLES'],
    ['SRT end before start', () => put(ctx, video, 'ar', '1\r\n00:00:05,000 --> 00:00:01,000\r\nx\r\n', headers, 'application/x-subrip'), 400, 'LAMHA_INVALID_SUBTITLES'],
    ['garbage', () => put(ctx, video, 'ar', 'this is no subtitle file at all', headers, 'text/plain'), 400, 'LAMHA_INVALID_SUBTITLES'],
    ['Windows-1256 bytes', () => put(ctx, video, 'ar', Buffer.from([0x31, 0x0d, 0x0a, 0xe3, 0xd1, 0xcd, 0xc8, 0xc7]), headers, 'application/x-subrip'), 400, 'LAMHA_NOT_UTF8'],
    ['empty body', () => put(ctx, video, 'ar', '', headers), 400, 'LAMHA_INVALID_SUBTITLES'],
    ['no cues', () => put(ctx, video, 'ar', 'WEBVTT\n\n', headers), 400, 'LAMHA_INVALID_SUBTITLES'],
    ['over 1 MiB', () => put(ctx, video, 'ar', Buffer.alloc(1024 * 1024 + 1, 'a'), headers), 413, 'LAMHA_TOO_LARGE'],
    ['JSON', () => put(ctx, video, 'ar', '{"text":"hi"}', headers, 'application/json'), 415, 'LAMHA_UNSUPPORTED_MEDIA_TYPE'],
    ['not a video', () => put(ctx, photo, 'ar', ARABIC_SRT, headers), 409, 'LAMHA_NOT_VIDEO'],
    ['a locale Lamha has but the event does not', () => put(ctx, video, 'fr', ARABIC_SRT, headers), 400, 'LAMHA_VALIDATION'],
    ['a locale Lamha does not have', () => put(ctx, video, 'de', ARABIC_SRT, headers), 400, 'LAMHA_VALIDATION'],
    ['no such asset', () => put(ctx, '00000000-0000-4000-8000-000000000000', 'ar', ARABIC_SRT, headers), 404, 'LAMHA_NOT_FOUND'],
  ];
  for (const [name, send, status, code] of cases) {
    const res = await send();
    t.equal(res.statusCode, status, `${name}: ${res.body}`);
    t.equal(res.json().code, code, name);
  }
  t.same(await subtitleObjects(ctx), []);
  t.same(await subtitleRows(ctx), []);
  const asset = await ctx.app.inject({ url: `/api/v1/assets/${video}`, headers });
  t.same(asset.json().subtitles, {});
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers })).statusCode, 404);

  // the text parsers belong to this route only: elsewhere a text/plain body is still a 415
  const elsewhere = await ctx.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...ctx.auth(ctx.admin), 'content-type': 'text/plain' }, payload: 'slug=x' });
  t.equal(elsewhere.statusCode, 415);
});

t.test('who may write: editors and the uploader; not the public, press or another photographer', async (t) => {
  const { ctx, owner, video } = await setup(t);
  await markReady(ctx, video); // public, so that press and the public can see it and are refused, not kept in the dark
  await seedEvent(ctx, { event: 'other' });
  const who = {
    public: {},
    press: ctx.auth(await ctx.mint('press', 'conf')),
    otherPhotographer: ctx.auth(await ctx.mint('photographer', 'conf')),
    editorOfAnotherEvent: ctx.auth(await ctx.mint('editor', 'other')),
    owner: ctx.auth(owner),
    editor: ctx.auth(await ctx.mint('editor', 'conf')),
    admin: ctx.auth(ctx.admin),
  };
  const expected: [keyof typeof who, number, string?][] = [
    ['public', 401, 'LAMHA_UNAUTHORIZED'],
    ['press', 403, 'LAMHA_FORBIDDEN'],
    ['otherPhotographer', 403, 'LAMHA_FORBIDDEN'],
    ['editorOfAnotherEvent', 403, 'LAMHA_FORBIDDEN'],
    ['owner', 201],
    ['editor', 200],
    ['admin', 200],
  ];
  for (const [name, status, code] of expected) {
    const res = await unchangedIfRefused(t, ctx, `PUT as ${name}`, () => put(ctx, video, 'ar', ARABIC_SRT, who[name], 'application/x-subrip'));
    t.equal(res.statusCode, status, `PUT as ${name}: ${res.body}`);
    if (code) t.equal(res.json().code, code, name);
  }

  // refused before the body is read: a 403 stays a 403 even for a body over the limit
  const big = await unchangedIfRefused(t, ctx, 'PUT over the limit as press', () => put(ctx, video, 'ar', Buffer.alloc(2 * 1024 * 1024, 'a'), who.press));
  t.equal(big.statusCode, 403);

  for (const [name, status] of [['public', 401], ['press', 403], ['otherPhotographer', 403]] as const) {
    const res = await unchangedIfRefused(t, ctx, `DELETE as ${name}`, () => ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${video}/subtitles/ar`, headers: who[name] }));
    t.equal(res.statusCode, status, `DELETE as ${name}`);
  }
  t.same(await subtitleObjects(ctx), [`renditions/${video}/subtitles/ar.vtt`], 'nothing was removed by those');
  const removed = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${video}/subtitles/ar`, headers: who.owner });
  t.equal(removed.statusCode, 204);
  t.same(await subtitleObjects(ctx), []);
  t.same(await subtitleRows(ctx), []);
  t.equal((await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar`, headers: who.editor })).statusCode, 404);
  t.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${video}/subtitles/ar`, headers: who.editor })).statusCode, 404);
});

t.test('the public reads subtitles only of a published, visible, ready video; insiders always', async (t) => {
  const { ctx, owner, video } = await setup(t);
  t.equal((await put(ctx, video, 'ar', ARABIC_SRT, ctx.auth(owner), 'application/x-subrip')).statusCode, 201);
  const url = `/api/v1/assets/${video}/subtitles/ar`;
  const publicGet = () => ctx.app.inject({ url });

  t.equal((await publicGet()).statusCode, 404, 'still processing');
  await markReady(ctx, video);
  const open = await publicGet();
  t.equal(open.statusCode, 200);
  t.ok(open.rawPayload.equals(ARABIC_VTT));
  t.equal(open.headers['cache-control'], 'public, max-age=300, s-maxage=55, proxy-revalidate', 'shared caches revalidate within 60 s: a takedown reaches them');
  t.same((await ctx.app.inject({ url: `/api/v1/assets/${video}` })).json().subtitles.ar.dir, 'rtl', 'listed for the public too');

  const editor = ctx.auth(await ctx.mint('editor', 'conf'));
  t.equal((await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: editor, payload: { status: 'draft' } })).statusCode, 200);
  t.equal((await publicGet()).statusCode, 404, 'album unpublished');
  t.equal((await ctx.app.inject({ url, headers: ctx.auth(owner) })).statusCode, 200, 'the uploader still reads it');
  t.equal((await ctx.app.inject({ url, headers: ctx.auth(await ctx.mint('press', 'conf')) })).statusCode, 404, 'press is no insider');
  await ctx.app.inject({ method: 'PATCH', url: '/api/v1/events/conf/albums/day-1', headers: editor, payload: { status: 'published' } });
  t.equal((await publicGet()).statusCode, 200);

  await ctx.db.query('UPDATE assets SET hidden = true WHERE id = $1', [video]);
  t.equal((await publicGet()).statusCode, 404, 'hidden');
  const insider = await ctx.app.inject({ url, headers: editor });
  t.equal(insider.statusCode, 200);
  t.equal(insider.headers['cache-control'], 'private, no-store');
});

t.test('deleting the video removes its subtitle rows and objects', async (t) => {
  const { ctx, owner, video } = await setup(t);
  t.equal((await put(ctx, video, 'ar', ARABIC_SRT, ctx.auth(owner), 'application/x-subrip')).statusCode, 201);
  t.equal((await put(ctx, video, 'ku', 'WEBVTT\n\n00:01.000 --> 00:02.000\nBi xêr hatin\n', ctx.auth(owner))).statusCode, 201);
  const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/assets/${video}`, headers: ctx.auth(await ctx.mint('editor', 'conf')) });
  t.equal(res.statusCode, 204);
  t.same(await subtitleRows(ctx), []);
  t.same(await subtitleObjects(ctx), []);
});

t.test('subtitles put while the video is still processing survive its transcode', async (t) => {
  const { ctx, owner, video } = await setup(t);
  t.equal((await put(ctx, video, 'ar', ARABIC_SRT, ctx.auth(owner), 'application/x-subrip')).statusCode, 201);
  runWorkers(t, ctx, ['videos']);
  t.equal((await settled(ctx, video)).status, 'ready');
  const key = `renditions/${video}/subtitles/ar.vtt`;
  t.same(await subtitleObjects(ctx), [key], 'the track is still stored');
  t.ok((await storedBytes(ctx, key)).equals(ARABIC_VTT), 'byte for byte');
  const got = await ctx.app.inject({ url: `/api/v1/assets/${video}/subtitles/ar` });
  t.equal(got.statusCode, 200, 'and served to the public once the video is ready');
});
