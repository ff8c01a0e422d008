/**
 * Brotli and gzip copies of the static scripts and styles, made once per file version and kept
 * in memory: hls.js alone is ~370 kB as shipped and ~100 kB in brotli, which matters on the slow
 * links the gallery's visitors have. The files are few and fixed (files.ts), so the memory is
 * bounded (~0.5 MB). The weak ETag of @fastify/static stays the same across encodings (weak
 * validators name equivalent content), so revalidation still answers 304.
 */
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { chooseEncoding } from '../encoding.js';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

export const COMPRESSIBLE = /\.(m?js|css|svg|json|map)$/;
interface Copies {
  key: string;
  br: Buffer;
  gzip: Buffer;
}

export function createCompressor() {
  const copies = new Map<string, Promise<Copies>>();
  /** the file each reply is sending, from setHeaders (which sees the path) to onSend (which sees the body) */
  const files = new WeakMap<FastifyReply, { path: string; stat: Stats }>();

  function compressed(path: string, stat: Stats): Promise<Copies> {
    const key = `${stat.size}-${stat.mtimeMs}`;
    const known = copies.get(path);
    if (known) {
      return known.then((c) => (c.key === key ? c : fresh()));
    }
    return fresh();

    function fresh(): Promise<Copies> {
      const made = readFile(path).then(async (data) => ({
        key,
        // Quality 11 once per file version: it is paid at the first request only.
        br: await brotli(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
        gzip: await gzip(data, { level: 9 }),
      }));
      copies.set(path, made);
      made.catch(() => copies.delete(path));
      return made;
    }
  }

  return {
    /** Called from @fastify/static's setHeaders: marks the reply as carrying this file. */
    note(reply: FastifyReply, path: string, stat: Stats): void {
      reply.header('vary', 'Accept-Encoding');
      if (COMPRESSIBLE.test(path)) files.set(reply, { path, stat });
    },

    /** onSend hook: swaps the file stream for the encoded copy when the client takes one. */
    async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
      const file = files.get(reply);
      if (!file || reply.statusCode !== 200 || request.headers.range) return payload;
      const enc = chooseEncoding(request.headers['accept-encoding']);
      if (enc === 'identity') return payload;
      const body = (await compressed(file.path, file.stat))[enc];
      // the file stream is replaced, so it is closed here rather than left open
      (payload as { destroy?: () => void } | null)?.destroy?.();
      reply.header('content-encoding', enc).header('content-length', body.length).removeHeader('accept-ranges');
      return body;
    },
  };
}
