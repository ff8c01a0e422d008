/**
 * Every external tool runs under kernel resource limits (prlimit): real tools given a tiny
 * limit through the adapters are stopped, and the error says which limit.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import t from 'tap';
import { decodableImage } from '../../src/media/decode.js';
import { runFfmpeg } from '../../src/media/ffmpeg.js';
import { createMetadataReader } from '../../src/media/metadata.js';
import { DEFAULT_TOOL_LIMITS, runTool, setToolLimits, ToolError, type ToolLimits } from '../../src/media/run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '..', 'fixtures');
const HEIC = path.join(FIXTURES, 'heic_iphone-xs-max_gps.heic');
const PDF = path.join(FIXTURES, 'pdf_distiller_linearized_xmp.pdf');
const VIDEO = path.join(FIXTURES, 'mp4_h264_aac_gps-udta-xyz.mp4');
const MiB = 1024 * 1024;

async function workDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamha.limits.'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn` with the process-wide tool limits set to `limits`, restored afterwards. */
async function under<T>(limits: ToolLimits, fn: () => Promise<T>): Promise<T> {
  setToolLimits(limits);
  try {
    return await fn();
  } finally {
    setToolLimits(DEFAULT_TOOL_LIMITS);
  }
}

const decodeOptions = { timeoutMs: 120_000, maxPixels: 200_000_000 };

t.test('the fixtures decode under the default limits (the limits leave normal work alone)', async (t) => {
  const dir = await workDir(t);
  t.equal((await decodableImage(HEIC, 'image/heic', dir, decodeOptions)).converted, true);
  t.equal((await decodableImage(PDF, 'application/pdf', dir, decodeOptions)).converted, true);
});

t.test('libheif past its address space limit is stopped and the file is refused as undecodable', async (t) => {
  const dir = await workDir(t);
  // heif-info, which runs first, already needs more: libheif starts threads whose stacks count
  const err = await under({ memoryBytes: 64 * MiB }, () => decodableImage(HEIC, 'image/heic', dir, decodeOptions).catch((e: unknown) => e));
  t.match(err, { code: 'LAMHA_UNDECODABLE' });
  t.match((err as Error).message, /heif-info failed within its address space limit of 64 MiB \(out of memory\)/);
  t.equal((err as { cause?: ToolError }).cause?.exitSignal, 'SIGABRT', 'it aborted on a failed allocation');
  t.same(await readdir(dir), [], 'nothing left in the work dir');
});

t.test('heif-convert writing a file past its size limit is stopped', async (t) => {
  const dir = await workDir(t);
  const err = await under({ fileBytes: 10_000 }, () => decodableImage(HEIC, 'image/heic', dir, decodeOptions).catch((e: unknown) => e));
  t.match(err, { code: 'LAMHA_UNDECODABLE' });
  t.match((err as Error).message, /heif-convert tried to write a file larger than its limit of 0 MiB and was stopped/);
  t.equal((err as { cause?: ToolError }).cause?.exitSignal, 'SIGXFSZ', 'the kernel stopped it');
});

t.test('pdftoppm past its CPU time limit is stopped', async (t) => {
  const dir = await workDir(t);
  // a page rendered 12000 px high takes several CPU seconds
  const err = await under({ cpuSeconds: 1 }, () => decodableImage(PDF, 'application/pdf', dir, { ...decodeOptions, pdfLongEdge: 12_000 }).catch((e: unknown) => e));
  t.match(err, { code: 'LAMHA_UNDECODABLE' });
  t.match((err as Error).message, /pdftoppm used more than its CPU time limit of 1 s and was stopped/);
  t.equal((err as { cause?: ToolError }).cause?.exitSignal, 'SIGXCPU');
});

t.test('ffprobe runs under the limits too', async (t) => {
  const err = await runTool('ffprobe', ['-v', 'error', '-show_streams', VIDEO], { timeoutMs: 60_000, limits: { memoryBytes: 64 * MiB } }).catch((e: unknown) => e);
  t.type(err, ToolError);
  t.equal((err as ToolError).limit, 'memory');
  t.match((err as Error).message, /^ffprobe failed within its address space limit of 64 MiB/);
  const ok = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', VIDEO], { timeoutMs: 60_000 });
  t.equal(ok.stdout.trim(), '"mov,mp4,m4a,3gp,3g2,mj2"', 'control: under the default limits it answers');
});

t.test('ffmpeg past its address space limit is stopped with a clear error', async (t) => {
  const dir = await workDir(t);
  // 300 MiB: the H.264 decoder's frame allocations fail (Cannot allocate memory), every time on 2 cores
  const err = await under({ memoryBytes: 300 * MiB }, () =>
    runFfmpeg({ inputs: [{ path: VIDEO }], output: ['-c:v', 'libx264', '-an', path.join(dir, 'out.mp4')] }, { timeoutMs: 120_000 }).catch((e: unknown) => e));
  t.type(err, ToolError);
  t.equal((err as ToolError).limit, 'memory');
  t.match((err as Error).message, /^ffmpeg failed within its address space limit of 300 MiB/);
});

t.test('ffmpeg writing a file past its size limit is stopped', async (t) => {
  const dir = await workDir(t);
  const out = path.join(dir, 'out.mp4');
  const err = await under({ fileBytes: 200_000 }, () =>
    runFfmpeg({ inputs: [{ path: VIDEO, options: ['-stream_loop', '20'] }], output: ['-c', 'copy', '-f', 'mp4', out] }, { timeoutMs: 120_000 }).catch((e: unknown) => e));
  t.type(err, ToolError);
  t.equal((err as ToolError).limit, 'file');
  t.match((err as Error).message, /^ffmpeg tried to write a file larger than its limit/);
  t.ok((await stat(out)).size <= 200_000, 'the file stopped at the limit');
});

t.test('exiftool past its address space limit is stopped, and the next file is read by a fresh one', async (t) => {
  const dir = await workDir(t);
  // a 1×1 PNG whose zTXt comment inflates to 300 MB: exiftool reads it whole into memory
  const png = path.join(dir, 'ztxt.png');
  writeFileSync(png, pngWithComment(deflateSync(Buffer.alloc(300_000_000, 0x41), { level: 9 })));
  t.ok((await stat(png)).size < 400_000, 'small on disk');
  setToolLimits({ memoryBytes: 256 * MiB });
  const reader = createMetadataReader({ timeoutMs: 60_000, maxProcs: 1 });
  setToolLimits(DEFAULT_TOOL_LIMITS);
  t.teardown(() => reader.close());
  const err = await reader.read(png).catch((e: unknown) => e);
  t.type(err, Error);
  t.match((err as Error).message, /cannot read metadata of .*ztxt\.png: Process terminated before task completed/);
  const next = await reader.read(path.join(FIXTURES, 'jpeg_iphone-4s_gps.jpg'));
  t.equal(next.camera?.model, 'iPhone 4S', 'the next read works');
});

/** A 1×1 grey PNG carrying a zTXt "Comment" with `compressed` as its text. */
function pngWithComment(compressed: Buffer): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = table[(c ^ x) & 255]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), compressed])),
    chunk('IDAT', deflateSync(Buffer.from([0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
