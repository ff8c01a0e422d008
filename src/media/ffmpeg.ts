/**
 * The ffmpeg/ffprobe adapter. It knows nothing of the app: it takes paths, a time budget, an
 * abort signal, a niceness and a logger.
 *
 * Every run is hardened against crafted input (the HLS/concat local-file-read class): the input
 * is an absolute `file:` URL; `-protocol_whitelist file`; `-format_whitelist` holds only the
 * video demuxers, so a playlist or ffconcat script, bare or nested in another container, is never
 * opened; ffmpeg's input demuxer is forced to the one ffprobe found. A run past its budget or
 * aborted is SIGKILLed, and the promise settles only once the process has exited.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UndecodableError, UnsupportedTypeError } from '../errors.js';
import { demuxerOf, parseProbeReport, readProbeReport, VIDEO_DEMUXERS, type VideoProbe } from './ffmpeg-probe.js';
import { spawnFfmpeg } from './ffmpeg-run.js';
import { runTool, ToolError, type ToolFailure } from './run.js';

export { demuxerOf, parseIso6709, VIDEO_DEMUXERS, type VideoProbe } from './ffmpeg-probe.js';
export { ToolError } from './run.js';

export interface ToolPaths {
  ffmpegPath?: string;
  ffprobePath?: string;
}

export interface RunControl {
  /** SIGKILL after this many milliseconds (the whole call, probes included); rejects with ToolError kind 'timeout' */
  timeoutMs: number;
  /** rejects with ToolError kind 'abort' (name 'AbortError') once the process is killed */
  signal?: AbortSignal;
  /** 0–19, default 10 */
  nice?: number;
  log?: { debug(o: object, m?: string): void };
}

export interface FfmpegInput {
  path: string;
  /** input options placed before `-i`; whitelists, `-f` and `-i` are ours and refused here */
  options?: string[];
  /** `container` of an earlier probeVideo of this file; without it the file is probed first */
  format?: string;
}

export interface FfmpegRun {
  inputs: FfmpegInput[];
  /** output options and output path(s), in ffmpeg's order; the last element is an output */
  output: string[];
}

const DEFAULT_NICE = 10;
const MAX_STDERR = 8 * 1024;
/** ffprobe's JSON for a file with many streams and tags; beyond this it is cut and unreadable */
const MAX_PROBE_REPORT = 4 * 1024 * 1024;
const FORMAT_WHITELIST = VIDEO_DEMUXERS.join(',');

/** Options for every input of either tool: where it may read from, which demuxers may parse it. */
const INPUT_GUARD = ['-protocol_whitelist', 'file', '-format_whitelist', FORMAT_WHITELIST] as const;

/**
 * Options a caller may not pass: they would lift the guard, add an input, or let a filter or
 * muxer read a file of its own choosing.
 */
const REFUSED_OPTIONS = new Set([
  '-i', '-f', '-protocol_whitelist', '-protocol_blacklist', '-format_whitelist',
  '-enable_drefs', '-use_absolute_path', '-attach', '-filter_script', '-filter_complex_script',
]);
/** source filters that open files or URLs of their own */
const FILE_READING_FILTER = /(^|[,;'"[\]\s])a?movie=/;

/** What ffprobe says about the video at `file`; ffprobe decides what it is, never its name. */
export async function probeVideo(file: string, ctl: RunControl & ToolPaths): Promise<VideoProbe> {
  return parseProbeReport(await ffprobeReport(file, ctl));
}

/**
 * Every metadata tag of a file we made (container and streams, merged), to check an output
 * carries nothing about the source. Same guard as probeVideo: an HLS playlist is not probed.
 */
export async function probeTags(file: string, ctl: RunControl & ToolPaths): Promise<{ container: string; tags: Record<string, string> }> {
  const json = await ffprobeReport(file, ctl);
  const report = readProbeReport(json);
  const tags: Record<string, string> = {};
  for (const t of [report.format?.tags, ...(report.streams ?? []).map((s) => s.tags)]) {
    for (const [k, v] of Object.entries(t ?? {})) if (typeof v === 'string') tags[k] = v;
  }
  return { container: report.format?.format_name ?? '', tags };
}

/**
 * probeVideo for the upload-time limits, which must not take a guess for a fact: ffprobe says
 * when it made up a duration from a bit rate and the file's size (a stream without a declared
 * duration or timestamps to measure), and such a duration is reported as estimated.
 */
export async function probeVideoExtent(file: string, ctl: RunControl & ToolPaths): Promise<{ probe: VideoProbe; durationEstimated: boolean }> {
  const { stdout, stderr } = await ffprobeRun(file, ctl, 'warning');
  return { probe: parseProbeReport(stdout), durationEstimated: /Estimating duration from bitrate/i.test(stderr) };
}

async function ffprobeReport(file: string, ctl: RunControl & ToolPaths): Promise<string> {
  return (await ffprobeRun(file, ctl, 'error')).stdout;
}

async function ffprobeRun(file: string, ctl: RunControl & ToolPaths, loglevel: 'error' | 'warning'): Promise<{ stdout: string; stderr: string }> {
  const args = [
    '-hide_banner', '-loglevel', loglevel,
    ...INPUT_GUARD,
    '-print_format', 'json', '-show_format', '-show_streams',
    '-i', fileUrl(file),
  ];
  ctl.log?.debug({ tool: 'ffprobe', args }, 'probing video');
  try {
    // warnings about a damaged stream can be many; the one looked for comes at the end of probing
    return await runNiced(ctl.ffprobePath ?? 'ffprobe', 'ffprobe', args, ctl, MAX_PROBE_REPORT, loglevel === 'warning' ? 64 * 1024 : MAX_STDERR);
  } catch (err) {
    throw probeFailure(err, file);
  }
}

/**
 * Runs ffmpeg on `inputs` (each probed first unless its `format` is given) with `output`
 * options and paths. Progress, when asked, is 0–100 against `durationMs` (else the first
 * input's probed duration). Exit failures reject with ToolError kind 'exit' and a bounded
 * stderr tail.
 */
export async function runFfmpeg(
  args: FfmpegRun,
  ctl: RunControl & ToolPaths & { durationMs?: number; onProgress?(percent: number): void },
): Promise<void> {
  const deadline = Date.now() + ctl.timeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  if (args.inputs.length === 0) throw new TypeError('runFfmpeg needs at least one input');
  if (args.output.length === 0) throw new TypeError('runFfmpeg needs an output');
  for (const input of args.inputs) refuseUnsafe(input.options ?? [], 'input');
  refuseUnsafe(args.output, 'output');

  let durationMs = ctl.durationMs;
  const inputs: { url: string; options: string[] }[] = [];
  for (const input of args.inputs) {
    let demuxer: string;
    if (input.format !== undefined) demuxer = demuxerOf(input.format);
    else {
      const probe = await probeVideo(input.path, { ...ctl, timeoutMs: remaining() });
      demuxer = demuxerOf(probe.container);
      if (inputs.length === 0) durationMs ??= probe.durationMs ?? undefined;
    }
    inputs.push({ url: fileUrl(input.path), options: [...(input.options ?? []), ...INPUT_GUARD, '-f', demuxer] });
  }
  await spawnFfmpeg(inputs, args.output, { ...ctl, nice: niceness(ctl.nice), durationMs, timeoutMs: remaining(), maxStderr: MAX_STDERR });
}

/** Runs `fn` in a fresh directory that is removed afterwards, whether `fn` succeeds or throws. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  // a bare name goes under the system temp dir; an absolute prefix picks another disk (a spool)
  if (!path.isAbsolute(prefix) && !/^[\w.-]+$/.test(prefix)) throw new TypeError(`bad temp dir prefix: ${prefix}`);
  const dir = await mkdtemp(path.isAbsolute(prefix) ? prefix : path.join(tmpdir(), prefix));
  let failed = false;
  try {
    return await fn(dir);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // a failure to clean up must not hide the error that brought us here
    await rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch((err: unknown) => {
      if (!failed) throw err;
    });
  }
}

/** `file:` keeps a path from being read as another protocol ('concat:…', 'subfile,,…') or an option. */
function fileUrl(file: string): string {
  return `file:${path.resolve(file)}`;
}

function niceness(value: number | undefined): number {
  const n = value ?? DEFAULT_NICE;
  return Number.isFinite(n) ? Math.min(19, Math.max(0, Math.round(n))) : DEFAULT_NICE;
}

function refuseUnsafe(args: readonly string[], where: 'input' | 'output'): void {
  for (const arg of args) {
    const name = arg.split(':')[0]!;
    if (arg.startsWith('-') && (REFUSED_OPTIONS.has(name) && (where === 'input' || name !== '-f'))) {
      throw new TypeError(`ffmpeg ${where} option ${arg} is not allowed`);
    }
    if (FILE_READING_FILTER.test(arg)) throw new TypeError(`ffmpeg ${where} argument opens a file of its own: ${arg}`);
  }
}

/** Runs a tool under `nice`, reporting failures under the tool's own name. */
async function runNiced(cmd: string, tool: string, args: string[], ctl: RunControl, maxStdout: number, maxStderr = MAX_STDERR) {
  const nice = niceness(ctl.nice);
  const [program, argv] = nice > 0 ? ['nice', ['-n', String(nice), cmd, ...args]] : [cmd, args];
  try {
    return await runTool(program, argv, { timeoutMs: ctl.timeoutMs, signal: ctl.signal, maxStderr, maxStdout });
  } catch (err) {
    if (!(err instanceof ToolError) || err.tool === tool) throw err;
    // nice exits 127 (not found) or 126 (not executable) when it cannot start the tool
    const kind: ToolFailure = err.kind === 'exit' && (err.exitCode === 126 || err.exitCode === 127) ? 'spawn' : err.kind;
    const message = err.message.replace(/^nice\b/, tool);
    throw new ToolError(message, { tool, kind, exitCode: err.exitCode, exitSignal: err.exitSignal, stderr: err.stderr }, { cause: err });
  }
}

/**
 * ffprobe exits non-zero when it cannot open the file. A demuxer outside the allow-list, or
 * none recognising the bytes, means we do not take the file (415); an allowed demuxer that
 * fails on it (its name prefixes the message, e.g. "[mov,mp4,… @ 0x…] moov atom not found")
 * means it is damaged (422). Timeouts, aborts and a missing ffprobe stay ToolErrors. The
 * message may reach an uploader: it names "the file", not where it was spooled.
 */
function probeFailure(err: unknown, file: string): unknown {
  if (!(err instanceof ToolError) || err.kind !== 'exit') return err;
  // our own fault (a spool file gone, a wrong path), not the file's
  if (/No such file or directory|Permission denied|Is a directory/i.test(err.stderr)) return err;
  const lines = err.stderr.split('\n').filter(Boolean).slice(-3).map((line) => line.replaceAll(fileUrl(file), 'the file'));
  const reason = lines.join('; ') || `ffprobe exited with code ${err.exitCode}`;
  if (/not on whitelist/i.test(err.stderr)) {
    return new UnsupportedTypeError(`not an accepted video container: ${reason}`, { cause: err });
  }
  const demuxers = [...err.stderr.matchAll(/\[([\w,]+) @ 0x[0-9a-f]+\]/gi)].map((m) => m[1]!);
  if (demuxers.some((d) => d.split(',').every((n) => VIDEO_DEMUXERS.includes(n)))) {
    return new UndecodableError(`the video cannot be read: ${reason}`, { cause: err });
  }
  return new UnsupportedTypeError(`not a readable video: ${reason}`, { cause: err });
}
