/** multipart/form-data bodies built as streams, so tests can send big files and stop mid-way. */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer | string | Readable;
}

export function multipart(parts: FormPart[]): { headers: Record<string, string>; body: Readable } {
  const boundary = `----lamha${randomBytes(12).toString('hex')}`;
  async function* generate() {
    for (const part of parts) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
      if (part.filename !== undefined) head += `; filename="${part.filename.replace(/"/g, '%22')}"`;
      head += '\r\n';
      if (part.filename !== undefined) head += `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n`;
      yield Buffer.from(`${head}\r\n`, 'utf8');
      if (part.body instanceof Readable) yield* part.body;
      else yield Buffer.from(part.body);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Readable.from(generate()) };
}

export function filePart(path: string, filename = path.split('/').pop()!, contentType?: string): FormPart {
  return { name: 'file', filename, ...(contentType && { contentType }), body: createReadStream(path) };
}

/** Reads a response's status and JSON body (a test's small answer, so collected whole). */
function readJson(res: http.IncomingMessage, resolve: (r: { statusCode: number; json: any }) => void, reject: (err: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    resolve({ statusCode: res.statusCode!, json: text ? JSON.parse(text) : undefined });
  });
  res.on('error', reject);
}

/** POSTs a streamed body to a listening server; answers status and parsed JSON. */
export function post(url: string, headers: Record<string, string>, body: Readable): Promise<{ statusCode: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => readJson(res, resolve, reject));
    req.on('error', reject);
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}

/** Deterministic pseudo-random bytes (fast, incompressible enough for storage tests). */
export function* patternChunks(total: number, chunk = 1 << 20): Generator<Buffer> {
  const block = randomBytes(chunk);
  for (let sent = 0; sent < total; sent += chunk) {
    const n = Math.min(chunk, total - sent);
    block.writeUInt32BE(sent >>> 0, 0); // vary each chunk so parts differ
    yield n === chunk ? Buffer.from(block) : Buffer.from(block.subarray(0, n));
  }
}

/** A streamed POST that stops after a given number of body bytes until told to go on or to give up. */
export interface SteppedPost {
  /** resolves once at least `pauseAt` bytes of the body are written (the rest waits for resume()); rejects if the server answers first */
  reached: Promise<void>;
  resume(): void;
  /** the client goes away mid-body: the connection is destroyed */
  abort(): void;
  /** whether the server has answered yet */
  answered(): boolean;
  /** the answer; rejects when the connection ends without one */
  response: Promise<{ statusCode: number; json: any }>;
}

export function postInSteps(url: string, headers: Record<string, string>, body: Readable, pauseAt: number): SteppedPost {
  const req = http.request(url, { method: 'POST', headers });
  let answered = false;
  let holding = false;
  let passed = false;
  let sent = 0;
  let onReached!: () => void;
  let notReached!: (err: Error) => void;
  const reached = new Promise<void>((resolve, reject) => {
    onReached = resolve;
    notReached = reject;
  });
  const response = new Promise<{ statusCode: number; json: any }>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      notReached(new Error(`the server answered ${res.statusCode} after ${sent} bytes, before ${pauseAt}`));
      readJson(res, resolve, reject);
    });
    req.on('error', (err) => {
      notReached(err);
      reject(err);
    });
  });
  // observed by whoever awaits them
  response.catch(() => {});
  reached.catch(() => {});
  body.on('data', (c: Buffer) => {
    sent += c.length;
    const drained = req.write(c);
    if (!passed && sent >= pauseAt) {
      holding = true;
      passed = true;
      body.pause();
      onReached();
    } else if (!drained) {
      body.pause();
      req.once('drain', () => { if (!holding) body.resume(); });
    }
  });
  body.on('end', () => req.end());
  body.on('error', (err) => req.destroy(err));
  return {
    reached,
    resume: () => {
      holding = false;
      body.resume();
    },
    abort: () => {
      body.destroy();
      req.destroy();
    },
    answered: () => answered,
    response,
  };
}
