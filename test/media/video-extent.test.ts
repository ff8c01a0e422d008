/**
 * Which bytes of a stored upload the limits check fetches when the head does not say: pure
 * box arithmetic, on hand-made ISO BMFF layouts.
 */
import t from 'tap';
import { MAX_MOOV_BYTES, missingRange, TAIL_BYTES } from '../../src/media/video-extent.js';

const HEAD = 256 * 1024;

function box(type: string, size: number, large = false): Buffer {
  const header = Buffer.alloc(large ? 16 : 8);
  if (large) {
    header.writeUInt32BE(1, 0);
    header.writeBigUInt64BE(BigInt(size), 8);
  } else header.writeUInt32BE(size, 0);
  header.write(type, 4, 'latin1');
  return header;
}

/** The first HEAD bytes of a file laid out as `boxes` (their bodies zero). */
function headOf(boxes: [string, number, boolean?][]): Buffer {
  const head = Buffer.alloc(HEAD);
  let p = 0;
  for (const [type, size, large] of boxes) {
    if (p + 16 > HEAD) break;
    box(type, size, large).copy(head, p);
    p += size;
  }
  return head;
}

t.test('an MP4 with its moov last: from the end of mdat to the end of the file', async (t) => {
  const mdat = 40_000_000;
  const size = 32 + mdat + 300_000;
  t.same(missingRange(headOf([['ftyp', 32], ['mdat', mdat]]), size, 'mov,mp4,m4a,3gp,3g2,mj2'), { start: 32 + mdat, end: size });
});

t.test('a 64-bit mdat size is followed the same way', async (t) => {
  const mdat = 5_000_000_000;
  const size = 32 + mdat + 1_000_000;
  t.same(missingRange(headOf([['ftyp', 32], ['mdat', mdat, true]]), size, ''), { start: 32 + mdat, end: size });
});

t.test('a moov first but longer than the head: the rest of it, not the media after it', async (t) => {
  const moov = 600_000;
  const size = 32 + moov + 90_000_000;
  t.same(missingRange(headOf([['ftyp', 32], ['moov', moov], ['mdat', 90_000_000]]), size, 'mov,mp4,m4a,3gp,3g2,mj2'), { start: HEAD, end: 32 + moov });
});

t.test('nothing is fetched when the head holds the whole moov or the whole file', async (t) => {
  t.equal(missingRange(headOf([['ftyp', 32], ['moov', 5000], ['mdat', 90_000_000]]), 90_005_032, 'mov,mp4,m4a,3gp,3g2,mj2'), undefined);
  t.equal(missingRange(Buffer.alloc(1000), 1000, 'mpegts'), undefined);
});

t.test('a moov too large to fetch, or a box that is not one, is left to the worker', async (t) => {
  const mdat = 1_000_000;
  t.equal(missingRange(headOf([['ftyp', 32], ['mdat', mdat]]), 32 + mdat + MAX_MOOV_BYTES + 1, 'mov'), undefined);
  t.equal(missingRange(headOf([['ftyp', 32], ['mdat', 4]]), 10_000_000, 'mov'), undefined);
});

t.test('MPEG-TS, AVI and Matroska: the last TAIL_BYTES', async (t) => {
  const ts = Buffer.alloc(HEAD, 0x47);
  t.same(missingRange(ts, 50_000_000, 'mpegts'), { start: 50_000_000 - TAIL_BYTES, end: 50_000_000 });
  t.same(missingRange(ts, HEAD + 10, 'avi'), { start: HEAD, end: HEAD + 10 }, 'never before the end of the head');
});
