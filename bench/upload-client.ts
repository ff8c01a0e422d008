/**
 * What the upload benchmarks send and how: a reproducible JPEG-headed payload, generated chunk
 * by chunk, and a multipart POST of it to the API (bench/upload-server.ts), whose memory is
 * asked at /bench/peak. Shared by bench/upload.ts and bench/resumable.ts.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ROOT, type MemoryReport, type ServerInfo } from './harness.js';

const MiB = 1024 * 1024;


/** The head of a real JPEG, so the API's type detection (first 4100 bytes) accepts the upload. */
const JPEG_HEAD = readFileSync(path.join(ROOT, 'test/fixtures/exif-orientation_1.jpg')).subarray(0, 4100);
const CHUNK = MiB;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * `total` bytes: the JPEG head, then an AES-128-CTR keystream derived from `seed` — the same
 * seed always gives the same bytes, generated chunk by chunk (1 MiB at a time, never held whole).
 */
export function* payloadChunks(total: number, seed: string): Generator<Buffer> {
  const key = createHash('sha256').update(`lamha-bench:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const head = JPEG_HEAD.subarray(0, Math.min(JPEG_HEAD.length, total));
  let sent = head.length;
  if (head.length > 0) yield Buffer.from(head);
  while (sent < total) {
    const n = Math.min(CHUNK, total - sent);
    yield cipher.update(n === CHUNK ? ZEROS : ZEROS.subarray(0, n));
    sent += n;
  }
}

export function payloadStream(total: number, seed: string): Readable {
  return Readable.from(payloadChunks(total, seed), { objectMode: false, highWaterMark: CHUNK });
}

export function payloadDigest(total: number, seed: string): { sha256: Buffer; seconds: number } {
  const t0 = performance.now();
  const hash = createHash('sha256');
  for (const chunk of payloadChunks(total, seed)) hash.update(chunk);
  return { sha256: hash.digest(), seconds: (performance.now() - t0) / 1000 };
}

export async function peak(server: ServerInfo, reset: boolean): Promise<MemoryReport> {
  const res = await fetch(`${server.url}/bench/peak${reset ? '?reset=1' : ''}`);
  if (!res.ok) throw new Error(`/bench/peak answered ${res.status}`);
  return (await res.json()) as MemoryReport;
}

/** POSTs one file part of `bytes` payload bytes, with a Content-Length like a browser sends. */
export function postFile(server: ServerInfo, bytes: number, seed: string): Promise<{ statusCode: number; json: any; seconds: number }> {
  return postPart(server, { filename: `bench-${seed}.jpg`, type: 'image/jpeg', bytes, chunks: () => payloadChunks(bytes, seed) });
}

/** One file part of a multipart POST: its `bytes` bytes come from `chunks`, read as the request is sent. */
export interface FilePart {
  filename: string;
  type: string;
  bytes: number;
  chunks: () => Iterable<Buffer> | AsyncIterable<Buffer>;
}

/**
 * POSTs `part` as the one `file` part of multipart/form-data to the album's assets route, on a
 * connection of its own, with a Content-Length (as browsers and curl send it). Answers the status,
 * the body (JSON when it parses) and the seconds until the answer ended.
 */
export function postPart(server: ServerInfo, part: FilePart): Promise<{ statusCode: number; json: any; seconds: number }> {
  const boundary = `----lamhabench${randomBytes(12).toString('hex')}`;
  const pre = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${part.filename}"\r\nContent-Type: ${part.type}\r\n\r\n`);
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* form(): AsyncGenerator<Buffer> {
    yield pre;
    yield* part.chunks();
    yield post;
  }
  const body = Readable.from(form(), { objectMode: false, highWaterMark: CHUNK });
  const url = `${server.url}/api/v1/events/${server.event}/albums/${server.album}/assets`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(pre.length + part.bytes + post.length),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const seconds = (performance.now() - t0) / 1000;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        resolve({ statusCode: res.statusCode!, json, seconds });
      });
    });
    req.on('error', reject);
    // An early answer (an error) may cut the body short; the answer is what counts then.
    pipeline(body, req).catch(() => {});
  });
}

