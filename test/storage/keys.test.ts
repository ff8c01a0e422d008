import t from 'tap';
import { originalKey, renditionKey, renditionPrefix } from '../../src/storage/keys.js';

const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

t.test('builds original and rendition keys under the asset id', async (t) => {
  t.equal(originalKey(id), `originals/${id}`);
  t.equal(renditionPrefix(id), `renditions/${id}/`);
  t.equal(renditionKey(id, 'thumb.webp'), `renditions/${id}/thumb.webp`);
  t.equal(renditionKey(id, 'hls/master.m3u8'), `renditions/${id}/hls/master.m3u8`);
  t.equal(renditionKey(id, 'hls/720p/seg_00001.ts'), `renditions/${id}/hls/720p/seg_00001.ts`);
});

t.test('rejects anything but a lower-case UUID as an asset id, in every builder', async (t) => {
  const bad = ['', 'not-a-uuid', id.toUpperCase(), `${id}/x`, `../${id}`, `${id} `, id.slice(1), id.replace(/-/g, '')];
  for (const b of bad) {
    t.throws(() => originalKey(b), TypeError, `originalKey(${JSON.stringify(b)})`);
    t.throws(() => renditionPrefix(b), TypeError, `renditionPrefix(${JSON.stringify(b)})`);
    t.throws(() => renditionKey(b, 'thumb.webp'), TypeError, `renditionKey(${JSON.stringify(b)})`);
  }
});

t.test('rejects rendition names that could escape the asset prefix or alias another key', async (t) => {
  const bad = [
    '', '..', '../x', 'hls/../../originals', 'a..b', 'hls/..', '/thumb.webp', 'hls/', 'hls//x', 'Thumb.webp', 'hls/Master.m3u8',
    'thumb webp', 'hls\\master.m3u8', '.hidden', 'thumb.webp\n', 'صورة.webp',
  ];
  for (const name of bad) t.throws(() => renditionKey(id, name), TypeError, JSON.stringify(name));
});
