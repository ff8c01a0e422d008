import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { playlistSmuggled, SMUGGLE_SCAN_BYTES } from '../../src/media/video-guard.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE_DIRS = [path.join(here, '..', 'fixtures')];
const VIDEO_EXT = /\.(mp4|m4v|mov|mkv|webm|avi|mts|m2ts|ts|3gp|3g2)$/i;

const PLAYLIST = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n';

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SMUGGLE_SCAN_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function chunk(id: string, data: Buffer, be = false): Buffer {
  const size = Buffer.alloc(4);
  if (be) size.writeUInt32BE(8 + data.length);
  else size.writeUInt32LE(data.length);
  return Buffer.concat(be ? [size, Buffer.from(id, 'latin1'), data] : [Buffer.from(id, 'latin1'), size, data]);
}

t.test('finds a playlist hidden in an AVI GAB2 subtitle chunk', async (t) => {
  const gab2 = Buffer.concat([Buffer.from('GAB2\0\x02\0', 'latin1'), Buffer.alloc(10), Buffer.from(PLAYLIST)]);
  const strl = chunk('LIST', Buffer.concat([Buffer.from('strl'), chunk('strh', Buffer.concat([Buffer.from('txts'), Buffer.alloc(52)]))]));
  const avi = chunk('RIFF', Buffer.concat([Buffer.from('AVI '), chunk('LIST', Buffer.concat([Buffer.from('hdrl'), strl])), chunk('LIST', Buffer.concat([Buffer.from('movi'), chunk('00tx', gab2)]))]));
  t.equal(playlistSmuggled(avi), true);
});

t.test('finds a playlist or an ffconcat script behind an MP4 ftyp box', async (t) => {
  const ftyp = chunk('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'), true);
  t.equal(playlistSmuggled(Buffer.concat([ftyp, Buffer.from(PLAYLIST)])), true);
  t.equal(playlistSmuggled(Buffer.concat([ftyp, chunk('free', Buffer.from('ffconcat version 1.0\nfile /etc/passwd\n'), true)])), true);
  // a media playlist without the #EXTM3U header
  t.equal(playlistSmuggled(Buffer.concat([ftyp, Buffer.from('#EXT-X-TARGETDURATION:1\n')])), true);
  t.equal(playlistSmuggled(Buffer.concat([ftyp, Buffer.from('\n#EXTINF:1,\nx.ts\n')])), true);
});

t.test('looks at the first 256 KiB only, and at ffmpeg\'s own spelling', async (t) => {
  const far = Buffer.concat([Buffer.alloc(SMUGGLE_SCAN_BYTES), Buffer.from(PLAYLIST)]);
  t.equal(playlistSmuggled(far), false, 'beyond the scanned head (the ffmpeg allow-list still refuses it)');
  const edge = Buffer.concat([Buffer.alloc(SMUGGLE_SCAN_BYTES - 7), Buffer.from('#EXTM3U')]);
  t.equal(playlistSmuggled(edge), true, 'ending on the last scanned byte');
  t.equal(playlistSmuggled(Buffer.from('#extm3u\n#extinf:1,\n')), false, 'ffmpeg reads only upper-case tags');
  t.equal(playlistSmuggled(Buffer.alloc(0)), false);
});

t.test('passes every real video fixture', async (t) => {
  const files = new Map<string, string>();
  for (const dir of FIXTURE_DIRS) {
    for (const name of await readdir(dir)) if (VIDEO_EXT.test(name) && !files.has(name)) files.set(name, path.join(dir, name));
  }
  t.ok(files.size >= 9, `${files.size} video fixtures`);
  for (const [name, file] of files) t.equal(playlistSmuggled(await head(file)), false, name);
});

t.test('passes random binary heads', async (t) => {
  for (let i = 0; i < 64; i++) t.equal(playlistSmuggled(randomBytes(SMUGGLE_SCAN_BYTES)), false);
});
