/** Hostile videos and playlists at the upload route: refused before any tool reads them, nothing left behind. */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { clip } from '../helpers/clips.js';
import { s3Kinds } from '../helpers/context.js';
import { aviWithGab2, ftypBox } from '../helpers/exploits.js';
import type { FormPart } from '../helpers/multipart.js';
import { fixture, gallery, leftovers, nothing, postParts, testRefusals, type Refusal } from '../helpers/refusal.js';

const PLAYLIST = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n';
const file = (filename: string, body: Buffer | string, contentType = 'video/mp4'): FormPart => ({ name: 'file', filename, contentType, body });

const refusals: Refusal[] = [
  { what: 'an AVI carrying an HLS playlist', part: async () => file('clip.avi', aviWithGab2(PLAYLIST)), status: 415, code: 'LAMHA_UNSUPPORTED_TYPE' },
  { what: 'an MP4 head followed by a playlist', part: async () => file('clip.mp4', Buffer.concat([ftypBox(), Buffer.from(PLAYLIST)])), status: 415, code: 'LAMHA_UNSUPPORTED_TYPE' },
  { what: 'a bare .m3u8', part: async () => file('live.m3u8', PLAYLIST, 'application/vnd.apple.mpegurl'), status: 415, code: 'LAMHA_UNSUPPORTED_TYPE' },
  { what: 'an ffconcat file', part: async () => file('list.ffconcat', 'ffconcat version 1.0\nfile /etc/passwd\n'), status: 415, code: 'LAMHA_UNSUPPORTED_TYPE' },
  {
    what: 'a video longer than VIDEO_MAX_SECONDS',
    // ten minutes of a test pattern at one frame a second: long, yet a few hundred kilobytes
    part: async () => file('long.mp4', await readFile(await clip(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=1', '-t', '600', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']))),
    env: { VIDEO_MAX_SECONDS: '60' }, status: 422, code: 'LAMHA_VIDEO_TOO_LONG',
  },
];

for (const s3 of s3Kinds()) {
  t.test(`with the ${s3} S3 server`, async (t) => {
    testRefusals(t, s3, refusals);

    t.test('a .mp4 that is an AVI is taken as the AVI its bytes are, under a server-made key', async (t) => {
      const g = await gallery(t, s3);
      const res = await postParts(g, [file('holiday.mp4', await readFile(fixture('avi_msmpeg4v2_adpcm.avi')))]);
      t.equal(res.statusCode, 201, JSON.stringify(res.json));
      const id = res.json.assets[0].id as string;
      const { rows } = await g.ctx.db.query('SELECT kind, mime_type FROM assets WHERE id = $1', [id]);
      t.same(rows[0], { kind: 'video', mime_type: 'video/vnd.avi' });
      const found = await leftovers(g);
      t.same(found.objects, [`originals/${id}`]);
      t.same(found.incomplete, nothing(g).incomplete);
      t.equal(found.jobs.videos, 1, 'one video job, on the videos queue');
    });
  });
}
