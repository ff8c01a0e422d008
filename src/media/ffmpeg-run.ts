/**
 * One ffmpeg run through fluent-ffmpeg, with our deadline, abort and SIGKILL around it. The
 * arguments arrive already guarded (see ffmpeg.ts); this file only runs them.
 */
import os from 'node:os';
import ffmpeg from 'fluent-ffmpeg';
import { limitHit, limitMessage, toolCommand, toolLimits, ToolError, type ToolLimits } from './run.js';

export interface SpawnControl {
  timeoutMs: number;
  signal?: AbortSignal;
  /** 0–19 */
  nice: number;
  log?: { debug(o: object, m?: string): void };
  ffmpegPath?: string;
  durationMs?: number;
  onProgress?(percent: number): void;
  /** characters of stderr kept for error messages (the tail) */
  maxStderr: number;
  /** default: the process-wide limits (setToolLimits); see ffmpegLimits for CPU time */
  limits?: ToolLimits;
}

/**
 * ffmpeg's limits: the process-wide ones, but CPU time no less than its deadline on every core
 * (a transcode's deadline scales with the video, and ffmpeg encodes on all cores), so the wall
 * deadline decides a long transcode and the CPU limit only stops a run that spins past it.
 */
export function ffmpegLimits(ctl: Pick<SpawnControl, 'limits' | 'timeoutMs'>): ToolLimits {
  const limits = ctl.limits ?? toolLimits();
  if (limits.cpuSeconds === undefined) return limits;
  const deadline = Math.ceil((ctl.timeoutMs / 1000) * Math.max(1, os.availableParallelism()));
  return { ...limits, cpuSeconds: Math.max(limits.cpuSeconds, deadline) };
}

const PROGRESS_KEY = /^(frame|fps|stream_\d+_\d+_\w+|bitrate|total_size|out_time_us|out_time_ms|out_time|dup_frames|drop_frames|speed|progress)=(.*)$/;

/**
 * fluent-ffmpeg builds and spawns the command; timeouts, abort and the kill are ours. Our
 * options go through its `.inputOptions()`/`.outputOptions()` (several arguments at once: a
 * single array would be split at spaces). Progress comes from `-progress pipe:2` read through
 * its 'stderr' line event: its own progress parser needs info-level logs and probes the input
 * again without our guard.
 */
export async function spawnFfmpeg(inputs: { url: string; options: string[] }[], output: string[], ctl: SpawnControl): Promise<void> {
  const limits = ffmpegLimits(ctl);
  // ffmpeg catches SIGXCPU and ends as if asked to (exit 255, nothing said at -loglevel error):
  // the CPU limit kills it outright instead, which is what tells the limit from another failure.
  // The parent-death signal: ffmpeg ignores the broken pipe of its progress, so an orphan of a
  // killed worker would encode on, filling the dead run's work dir.
  const chain = toolCommand(ctl.ffmpegPath ?? 'ffmpeg', limits, 0);
  if (chain.length > 1) await askFormatsOnce(ctl.ffmpegPath ?? 'ffmpeg');
  return spawnWith(chain, limits, inputs, output, ctl);
}

function spawnWith(chain: string[], limits: ToolLimits, inputs: { url: string; options: string[] }[], output: string[], ctl: SpawnControl): Promise<void> {
  const tool = 'ffmpeg';
  return new Promise<void>((resolve, reject) => {
    const { signal } = ctl;
    if (signal?.aborted) {
      reject(new ToolError(`${tool} was not started: aborted`, { tool, kind: 'abort' }, { cause: signal.reason }));
      return;
    }
    const log = ctl.log;
    const quiet = (m: string) => log?.debug({ tool }, m);
    const command = ffmpeg({ niceness: ctl.nice, stdoutLines: 20, logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    // fluent-ffmpeg keeps this path process-wide; every run sets it so none depends on another's.
    // Through setpriv and prlimit, ffmpeg's own path and arguments follow theirs (fluent-ffmpeg
    // places the first input's options first).
    command.setFfmpegPath(chain[0]!);
    const first = [...chain.slice(1), '-nostdin', '-hide_banner', '-loglevel', 'error'];
    inputs.forEach((input, i) => {
      command.input(input.url);
      command.inputOptions(...(i === 0 ? first : []), ...input.options);
    });
    command.output(output[output.length - 1]!);
    command.outputOptions('-nostats', '-progress', 'pipe:2', ...output.slice(0, -1));

    const stderr = new TextTail(ctl.maxStderr);
    const progress = progressReader(ctl.durationMs, ctl.onProgress, log);
    let running = false;
    let stopped: 'timeout' | 'abort' | undefined;
    const stop = (why: 'timeout' | 'abort'): void => {
      if (stopped !== undefined) return;
      stopped = why;
      // before the spawn, 'start' kills it as soon as it exists
      if (running) command.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), Math.max(0, ctl.timeoutMs));
    const onAbort = (): void => stop('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };

    command.on('start', (commandLine: string) => {
      running = true;
      log?.debug({ tool, commandLine }, 'ffmpeg started');
      if (stopped !== undefined) command.kill('SIGKILL');
    });
    command.on('stderr', (line: string) => {
      const m = PROGRESS_KEY.exec(line);
      if (m) progress(m[1]!, m[2]!);
      else if (line.trim() !== '') stderr.push(line);
    });
    command.on('end', () => {
      // a run that finished as the kill was sent is complete: keep it
      settle();
      progress('progress', 'end');
      resolve();
    });
    // fluent-ffmpeg reports an exit only after the process has exited and its pipes closed
    command.on('error', (err: Error) => {
      settle();
      const text = stderr.text();
      if (stopped !== undefined) {
        reject(stoppedError(stopped, text, signal?.reason));
        return;
      }
      const code = /exited with code (\d+)/.exec(err.message);
      const killedBy = /killed with signal (\w+)/.exec(err.message);
      const exitCode = code ? Number(code[1]) : null;
      const withStderr = (m: string) => (text === '' ? m : `${m}: ${text}`);
      const exitSignal = (killedBy?.[1] ?? null) as NodeJS.Signals | null;
      // not killed by us (stopped is unset): a SIGKILL is the CPU hard limit (or the kernel's OOM killer)
      const limit = exitSignal === 'SIGKILL' && limits.cpuSeconds !== undefined ? 'cpu' : limitHit(limits, exitSignal, text);
      if (limit !== undefined) {
        reject(new ToolError(withStderr(limitMessage(tool, limit, limits)), { tool, kind: 'exit', exitCode, exitSignal, stderr: text, limit }, { cause: err }));
        return;
      }
      if (exitCode === 126 || exitCode === 127 || (!code && !killedBy)) {
        // nice could not start ffmpeg, or it was never spawned (not found, fluent-ffmpeg refused the command)
        reject(new ToolError(withStderr(`${tool} could not be started: ${err.message.split('\n')[0]}`), { tool, kind: 'spawn', exitCode, stderr: text }, { cause: err }));
        return;
      }
      const how = exitSignal !== null ? `was killed by ${exitSignal}` : `exited with code ${exitCode}`;
      reject(new ToolError(withStderr(`${tool} ${how}`), { tool, kind: 'exit', exitCode, exitSignal, stderr: text }, { cause: err }));
    });
    command.run();

    function stoppedError(why: 'timeout' | 'abort', text: string, cause?: unknown): ToolError {
      const m = why === 'timeout' ? `${tool} timed out after ${ctl.timeoutMs} ms and was killed` : `${tool} was aborted and killed`;
      return new ToolError(text === '' ? m : `${m}: ${text}`, { tool, kind: why, exitSignal: 'SIGKILL', stderr: text }, cause === undefined ? undefined : { cause });
    }
  });
}

let formatsAsked: Promise<void> | undefined;

/**
 * Before its first run in a process, fluent-ffmpeg asks `<path> -formats` and `-encoders` (and
 * keeps the answers): that question must go to ffmpeg itself, not to the launcher. Asked synchronously
 * with the path set, so no other run's path can slip in between.
 */
function askFormatsOnce(ffmpegPath: string): Promise<void> {
  formatsAsked ??= new Promise<void>((resolve, reject) => {
    const command = ffmpeg();
    command.setFfmpegPath(ffmpegPath);
    const failed = (err: Error): void => {
      formatsAsked = undefined; // asked again next time: the path may be fixed by then
      reject(new ToolError(`ffmpeg could not be started: ${err.message.split('\n')[0]}`, { tool: 'ffmpeg', kind: 'spawn' }, { cause: err }));
    };
    command.availableFormats((err: Error | null) => {
      if (err) return failed(err);
      // the second question is asked the same way; both answers are then kept process-wide
      command.setFfmpegPath(ffmpegPath);
      command.availableEncoders((e: Error | null) => (e ? failed(e) : resolve()));
    });
  });
  return formatsAsked;
}

/** Turns `-progress` key=value lines into a rising percentage, reported in steps of 0.1. */
function progressReader(
  durationMs: number | undefined,
  onProgress: ((percent: number) => void) | undefined,
  log: SpawnControl['log'],
): (key: string, value: string) => void {
  let last = -1;
  const report = (percent: number): void => {
    const p = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
    if (p <= last || onProgress === undefined) return;
    last = p;
    try {
      onProgress(p);
    } catch (err) {
      log?.debug({ err }, 'progress callback threw');
    }
  };
  return (key, value) => {
    if (key === 'progress' && value === 'end') report(100);
    // out_time_ms is in microseconds too (an old ffmpeg misnomer kept for compatibility)
    else if ((key === 'out_time_us' || key === 'out_time_ms') && durationMs !== undefined && durationMs > 0) {
      const us = Number(value);
      if (Number.isFinite(us)) report((us / 1000 / durationMs) * 100);
    }
  };
}

/** Keeps the last `max` characters of the lines pushed into it. */
class TextTail {
  private text_ = '';
  private cut = false;
  constructor(private readonly max: number) {}
  push(line: string): void {
    this.text_ = this.text_ === '' ? line : `${this.text_}\n${line}`;
    if (this.text_.length > this.max) {
      this.text_ = this.text_.slice(-this.max);
      this.cut = true;
    }
  }
  text(): string {
    return (this.cut ? '…' : '') + this.text_.trim();
  }
}
