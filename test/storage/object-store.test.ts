import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { PARTS_IN_FLIGHT, PartBudget, PartPool, partSizeFor, partsOf, sharedPartPool, uploadMemory, type ObjectStore } from '../../src/storage/object-store.js';
import { incompleteUploads } from '../helpers/s3.js';
import { s3Kinds, testStorage } from '../helpers/context.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

/** Streams `buf` in odd-sized chunks, so parts never line up with chunks. */
function streamOf(buf: Buffer, chunk = 65_537): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  })());
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Counts the real client's uploadPart calls and how many run at once (instrumentation, not a mock). */
function watchParts(storage: ObjectStore, delayMs = 0) {
  const client = storage.client;
  const original = client.uploadPart.bind(client);
  const stats = { calls: 0, inFlight: 0, peak: 0 };
  client.uploadPart = async (...args: Parameters<typeof original>) => {
    stats.calls++;
    stats.inFlight++;
    stats.peak = Math.max(stats.peak, stats.inFlight);
    try {
      if (delayMs) await sleep(delayMs);
      return await original(...args);
    } finally {
      stats.inFlight--;
    }
  };
  return stats;
}


async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

t.test('partsOf', async (t) => {
  async function sizes(chunks: (Buffer | string)[], size: number): Promise<{ sizes: number[]; joined: Buffer }> {
    const out: Buffer[] = [];
    for await (const p of partsOf(Readable.from(chunks), size)) out.push(Buffer.from(p));
    return { sizes: out.map((p) => p.length), joined: Buffer.concat(out) };
  }
  t.test('yields parts of exactly the part size, the last one shorter, whatever the chunk sizes', async (t) => {
    const cases: [number[], number, number[]][] = [
      [[3, 3, 3], 4, [4, 4, 1]],
      [[10], 4, [4, 4, 2]],
      [[4, 4], 4, [4, 4]],
      [[1, 1, 1, 1, 1], 4, [4, 1]],
      [[5, 0, 3], 4, [4, 4]],
      [[2, 7, 2, 1], 4, [4, 4, 4]],
      [[1], 4, [1]],
    ];
    let n = 0;
    for (const [chunkSizes, size, expected] of cases) {
      const chunks = chunkSizes.map((len) => Buffer.from(Array.from({ length: len }, () => n++ % 251)));
      const got = await sizes(chunks, size);
      t.same(got.sizes, expected, `chunks ${JSON.stringify(chunkSizes)} in parts of ${size}`);
      t.ok(got.joined.equals(Buffer.concat(chunks)), 'same bytes in the same order');
    }
  });
  t.test('accepts string chunks', async (t) => {
    const got = await sizes(['ab', 'cde', 'f'], 4);
    t.same(got.sizes, [4, 2]);
    t.equal(got.joined.toString(), 'abcdef');
  });
  t.test('yields nothing for an empty body', async (t) => {
    t.same((await sizes([], 4)).sizes, []);
    t.same((await sizes([Buffer.alloc(0)], 4)).sizes, []);
  });
});


t.test('partSizeFor: 5 MiB parts, larger only when 10 000 parts would not hold the largest object', async (t) => {
  const MiB = 1024 * 1024;
  t.equal(partSizeFor(0), 5 * MiB);
  t.equal(partSizeFor(10 * 1024 * MiB), 5 * MiB, 'the default UPLOAD_MAX_BYTES (10 GiB)');
  t.equal(partSizeFor(9_000 * 5 * MiB), 5 * MiB);
  t.equal(partSizeFor(9_000 * 5 * MiB + 1), 6 * MiB);
  const huge = 200 * 1024 * MiB;
  t.ok(partSizeFor(huge) * 9_000 >= huge, 'a 200 GiB object fits in 9 000 parts');
});

t.test('PartPool', async (t) => {
  t.test('takes back a whole buffer for a shorter view of it, once, and no more than it keeps', async (t) => {
    const pool = new PartPool(1024, 2);
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    pool.give(a.subarray(0, 10));
    pool.give(a);
    pool.give(b);
    pool.give(c);
    const again = [pool.take(), pool.take()];
    t.ok(again.every((x) => x.length === 1024), 'whole buffers come back');
    t.same(new Set(again.map((x) => x.buffer)), new Set([a.buffer, b.buffer]), 'the two kept are a (once) and b; c was over the limit');
    t.not(pool.take().buffer, c.buffer, 'c was not kept');
  });
  t.test('refuses a buffer of another size or one that is part of a larger one', async (t) => {
    const pool = new PartPool(1024, 4);
    pool.give(Buffer.allocUnsafeSlow(2048));
    pool.give(Buffer.allocUnsafeSlow(2048).subarray(1024));
    const fresh = Buffer.allocUnsafeSlow(1024);
    pool.give(fresh);
    t.equal(pool.take().buffer, fresh.buffer);
    t.not(pool.take().buffer, fresh.buffer, 'nothing else was kept');
  });
  t.test('one pool per usual part size for the whole process', async (t) => {
    t.equal(sharedPartPool(8 * 1024 * 1024), sharedPartPool(8 * 1024 * 1024));
    t.not(sharedPartPool(64 * 1024 * 1024), sharedPartPool(64 * 1024 * 1024), 'an unusual size is not kept');
  });
});

t.test('PartBudget', async (t) => {
  const settled = async (p: Promise<void> | undefined) => {
    let done = p === undefined;
    void p?.then(() => (done = true));
    await sleep(5);
    return done;
  };
  t.test('grants within the limit at once, then first come first served as parts are given back', async (t) => {
    const budget = new PartBudget(10);
    t.equal(budget.acquire(4), undefined, 'granted at once');
    t.equal(budget.acquire(4), undefined);
    const big = budget.acquire(4);
    const small = budget.acquire(1);
    t.notOk(await settled(big), 'over the limit: waits');
    t.notOk(await settled(small), 'a smaller part does not pass the one waiting before it');
    t.same(budget.usage, { bytes: 8, limit: 10, waiting: 2 });
    budget.release(4);
    t.ok(await settled(big), 'the first in line goes when its share is free');
    t.ok(await settled(small), 'and the next with it, as it fits');
    t.same(budget.usage, { bytes: 9, limit: 10, waiting: 0 });
  });
  t.test('one part larger than the whole budget goes alone, and a raised limit lets waiting parts go', async (t) => {
    const budget = new PartBudget(10);
    t.equal(budget.acquire(25), undefined, 'nothing held: it goes');
    const next = budget.acquire(1);
    t.notOk(await settled(next));
    budget.setLimit(30);
    t.ok(await settled(next));
  });
  t.test('a lease gives back, when it ends, the share of buffers never given back', async (t) => {
    const budget = new PartBudget(4096);
    const lease = new PartPool(1024, 4).lease(budget);
    const a = await lease.take();
    await lease.take();
    await lease.take();
    lease.give(a);
    lease.give(a); // given back twice: counted once
    t.equal(budget.usage.bytes, 1024, 'two buffers held after one given back, one given twice');
    lease.end();
    t.equal(budget.usage.bytes, 0);
    lease.give(a);
    t.equal(budget.usage.bytes, 0, 'a buffer given back after the end counts for nothing');
  });
});

for (const kind of s3Kinds()) {
  t.test(`ObjectStore on the ${kind} S3 server`, async (t) => {
    t.test('stores a Buffer and a small stream with one PUT each and reads back the same bytes', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      const parts = watchParts(storage);
      const small = randomBytes(1000);
      const a = await storage.put('originals/a', small, { contentType: 'image/jpeg' });
      t.match(a, { key: 'originals/a', bytes: 1000, etag: /\S/ });
      const streamed = randomBytes(300_000);
      const b = await storage.put('originals/b', streamOf(streamed));
      t.match(b, { key: 'originals/b', bytes: 300_000, etag: /\S/ });
      t.equal(parts.calls, 0, 'no multipart upload for bodies below a part');
      t.ok((await bytesOf(await storage.get('originals/a'))).equals(small));
      t.ok((await bytesOf(await storage.get('originals/b'))).equals(streamed));
      t.match(await storage.stat('originals/a'), { size: 1000, contentType: 'image/jpeg', etag: a.etag });
      t.match(await storage.stat('originals/b'), { size: 300_000, contentType: 'application/octet-stream', etag: b.etag });
    });

    t.test('stores an empty stream as an empty object', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      t.match(await storage.put('empty', Readable.from([])), { bytes: 0 });
      t.equal((await storage.stat('empty')).size, 0);
      t.equal((await bytesOf(await storage.get('empty'))).length, 0);
    });

    t.test('refuses an object the S3 server assembled shorter than what was sent, and keeps nothing of it', async (t) => {
      // bench/load's storm: the embedded s3rver, overloaded, completed a 50 MB upload without
      // one of its parts, and the asset was recorded with the whole file's size and SHA-256.
      // Here the completion names one part less, as a server that lost it would assemble.
      const storage = await testStorage(t, kind, { partSize: PART });
      const complete = storage.client.completeMultipartUpload.bind(storage.client);
      storage.client.completeMultipartUpload = ((bucket: string, key: string, uploadId: string, etags: { part: number; etag?: string }[]) =>
        complete(bucket, key, uploadId, etags.filter((e) => e.part !== 2))) as typeof storage.client.completeMultipartUpload;
      t.teardown(() => {
        storage.client.completeMultipartUpload = complete;
      });
      const body = randomBytes(12 * MiB);
      await t.rejects(storage.put('originals/short', streamOf(body)), { code: 'LAMHA_STORAGE_UNAVAILABLE' }, 'a 503 for the uploader, who sends it again');
      await t.rejects(storage.stat('originals/short'), { code: 'LAMHA_NOT_FOUND' }, 'the short object is gone');
    });

    t.test('streams a 12 MiB body in 5 MiB parts, byte for byte, with an ETag', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      const parts = watchParts(storage);
      const body = randomBytes(12 * MiB + 12_345);
      const put = await storage.put('originals/big', streamOf(body), { contentType: 'video/mp4', headers: { 'Cache-Control': 'private' } });
      t.equal(parts.calls, 3, 'three parts');
      t.equal(put.bytes, body.length);
      t.not(put.etag, '', 'ETag present even where the completion answers none');
      const stat = await storage.stat('originals/big');
      t.match(stat, { size: body.length, contentType: 'video/mp4', etag: put.etag });
      t.type(stat.lastModified, Date);
      t.equal(sha(await bytesOf(await storage.get('originals/big'))), sha(body));

      t.test('answers byte ranges, across part boundaries too', async (t) => {
        const ranges: [number, number | undefined][] = [
          [0, 0], [0, 99], [PART - 10, PART + 9], [2 * PART - 1, 2 * PART], [PART, 2 * PART - 1], [body.length - 5, undefined],
          [0, body.length - 1], [PART + 3, undefined],
        ];
        for (const [start, end] of ranges) {
          const got = await bytesOf(await storage.get('originals/big', end === undefined ? { start } : { start, end }));
          const want = body.subarray(start, end === undefined ? undefined : end + 1);
          t.equal(got.length, want.length, `bytes ${start}-${end ?? ''}: length`);
          t.ok(got.equals(want), `bytes ${start}-${end ?? ''}: content`);
        }
      });
    });

    t.test('an object of exactly one part is stored whole', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      const body = randomBytes(PART);
      t.match(await storage.put('exact', streamOf(body)), { bytes: PART, etag: /\S/ });
      t.equal(sha(await bytesOf(await storage.get('exact'))), sha(body));
    });

    t.test('keeps at most PARTS_IN_FLIGHT (two) parts in flight', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      // slow every part down so that the reader would run ahead if nothing held it back
      const parts = watchParts(storage, 150);
      const body = randomBytes(8 * PART + 1);
      const put = await storage.put('originals/many', streamOf(body));
      t.equal(parts.calls, 9);
      t.equal(PARTS_IN_FLIGHT, 2);
      t.equal(parts.peak, PARTS_IN_FLIGHT, 'two uploadPart requests at once, never more');
      t.equal(put.bytes, body.length);
      t.equal(sha(await bytesOf(await storage.get('originals/many'))), sha(body));
    });

    t.test('answers exists, and LAMHA_NOT_FOUND for get and stat of a missing key', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      await storage.put('here', Buffer.from('x'));
      t.equal(await storage.exists('here'), true);
      t.equal(await storage.exists('not-here'), false);
      t.match(await rejection(storage.get('not-here')), { code: 'LAMHA_NOT_FOUND', statusCode: 404 });
      t.match(await rejection(storage.get('not-here', { start: 0, end: 9 })), { code: 'LAMHA_NOT_FOUND' });
      t.match(await rejection(storage.stat('not-here')), { code: 'LAMHA_NOT_FOUND', statusCode: 404 });
    });

    t.test('deletes a key, and deleting a missing key succeeds', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      await storage.put('gone', Buffer.from('x'));
      await storage.delete('gone');
      t.equal(await storage.exists('gone'), false);
      await t.resolves(storage.delete('gone'));
      await t.resolves(storage.delete('never-was'));
    });

    t.test('deletePrefix removes only that prefix and answers how many; an empty prefix is refused', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      const keys = ['renditions/a/thumb.webp', 'renditions/a/hls/master.m3u8', 'renditions/a/hls/0.ts', 'renditions/ab/thumb.webp', 'originals/a'];
      for (const k of keys) await storage.put(k, Buffer.from(k));
      t.equal(await storage.deletePrefix('renditions/a/'), 3);
      t.same((await storage.list('')).sort(), ['originals/a', 'renditions/ab/thumb.webp']);
      t.equal(await storage.deletePrefix('renditions/a/'), 0, 'nothing left to delete');
      await t.rejects(storage.deletePrefix(''), RangeError);
      t.same((await storage.list('')).sort(), ['originals/a', 'renditions/ab/thumb.webp'], 'the refusal deleted nothing');
    });

    if (kind === 'rgw') {
      // s3rver has no bucket policies; RGW refuses a delete that an explicit Deny covers
      t.test('deletePrefix fails, and says so, when the server refuses to delete some keys', async (t) => {
        const storage = await testStorage(t, kind, { partSize: PART });
        for (const k of ['renditions/a/thumb.webp', 'renditions/a/hls/master.m3u8']) await storage.put(k, Buffer.from(k));
        const denyDeletes = (prefix: string) => storage.client.setBucketPolicy(storage.bucket, JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject'], Resource: [`arn:aws:s3:::${storage.bucket}/${prefix}*`] }],
        }));
        await denyDeletes('renditions/a/hls/');
        t.teardown(() => denyDeletes('nothing-here/')); // lets the bucket be emptied
        t.match(await rejection(storage.deletePrefix('renditions/a/')), { code: 'LAMHA_STORAGE_UNAVAILABLE', message: /could not delete 1 of 2 objects/ });
        t.same(await storage.list(''), ['renditions/a/hls/master.m3u8'], 'the refused key is still there');
      });
    }

    t.test('uploads over the process\'s part memory wait their turn: memory stays within it, every object whole', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      watchParts(storage, 30);
      const limit = uploadMemory.usage.limit;
      uploadMemory.setLimit(3 * PART);
      t.teardown(() => uploadMemory.setLimit(limit));
      let peak = 0;
      let waited = 0;
      const sample = setInterval(() => {
        peak = Math.max(peak, uploadMemory.usage.bytes);
        waited = Math.max(waited, uploadMemory.usage.waiting);
      }, 2);
      t.teardown(() => clearInterval(sample));
      const bodies = Array.from({ length: 6 }, () => randomBytes(2 * PART + 123));
      await Promise.all(bodies.map((b, i) => storage.put(`originals/${i}`, streamOf(b))));
      clearInterval(sample);
      t.ok(peak <= 3 * PART, `at most 3 parts held at once (peak ${peak / MiB} MiB)`);
      t.ok(waited > 0, 'some parts waited for their turn');
      for (const [i, b] of bodies.entries()) t.equal(sha(await bytesOf(await storage.get(`originals/${i}`))), sha(b), `object ${i} whole`);
      t.equal(uploadMemory.usage.bytes, 0, 'all of it given back');
    });

    t.test('a source that fails mid-upload rejects with its own error and leaves nothing behind', async (t) => {
      const storage = await testStorage(t, kind, { partSize: PART });
      const parts = watchParts(storage);
      const boom = new Error('client went away');
      const seenMidway: string[] = [];
      const source = Readable.from((async function* () {
        const chunk = randomBytes(MiB);
        for (let i = 0; i < 16; i++) yield chunk; // three whole parts and a bit
        if (kind === 'rgw') seenMidway.push(...(await incompleteUploads(storage, 'originals/')));
        throw boom;
      })());
      const err = await rejection(storage.put('originals/broken', source));
      t.equal(err, boom, 'the source\'s own error, not LAMHA_STORAGE_UNAVAILABLE');
      t.ok(parts.calls >= 3, `${parts.calls} parts were sent before the failure`);
      t.equal(await storage.exists('originals/broken'), false, 'no object');
      t.same(await storage.list(''), []);
      t.equal(uploadMemory.usage.bytes, 0, 'its part memory is given back, the part it was filling too');
      if (kind === 'rgw') {
        t.same(seenMidway, ['originals/broken'], 'the upload was listed as incomplete while it ran');
        t.same(await incompleteUploads(storage, 'originals/'), [], 'and was aborted');
      }
    });
  });
}
