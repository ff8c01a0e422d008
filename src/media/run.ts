/**
 * Runs one external media tool (heif-convert, pdftoppm, …) safely: an argument array and no
 * shell, a deadline after which the process is killed, an abort signal, bounded capture of
 * its output for error messages, and kernel resource limits (address space, CPU time, size of
 * a written file) set by util-linux's `prlimit` before the tool is executed. The promise
 * settles only once the process has exited, so a rejected call never leaves a child behind.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface RunOptions {
  /** SIGKILL after this many milliseconds; the promise then rejects with kind 'timeout'. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** bytes of stderr kept for the error message (the tail, where tools put the reason) */
  maxStderr?: number;
  /** bytes of stdout kept and returned (the head); beyond it stdout is drained and dropped */
  maxStdout?: number;
  cwd?: string;
  /** default: the process-wide limits (setToolLimits) */
  limits?: ToolLimits;
}

/**
 * Kernel limits for one tool process (setrlimit, inherited by its threads and children). A tool
 * that passes one is stopped by the kernel: SIGXCPU for CPU time, SIGXFSZ (or EFBIG) for a file
 * too large, a failed allocation for address space.
 */
export interface ToolLimits {
  /** RLIMIT_AS: bytes of virtual address space (reservations count, not only what is touched) */
  memoryBytes?: number;
  /** RLIMIT_CPU: seconds of CPU time, all threads together */
  cpuSeconds?: number;
  /** RLIMIT_FSIZE: bytes of the largest file the tool may write */
  fileBytes?: number;
}

export type ToolLimit = 'memory' | 'cpu' | 'file';

const MiB = 1024 * 1024;

/**
 * What a process gets unless the configuration says otherwise (see config.ts). Address space,
 * measured on 2 cores (VmPeak): ffmpeg ≈ 0.9 GB transcoding 1080p H.264, heif-convert ≈ 0.7 GB
 * for a 12 MP HEIC, pdftoppm ≈ 35 MB; threads and malloc arenas reserve more on more cores.
 * CPU: as long as the tools' own deadline (120 s), so a tool on several threads cannot spend
 * several times its deadline. Files: twice a 10 GiB upload (ffmpeg copies a video's streams,
 * exiftool rewrites an original).
 */
export const DEFAULT_TOOL_LIMITS: Readonly<Required<ToolLimits>> = Object.freeze({
  memoryBytes: 8192 * MiB,
  cpuSeconds: 120,
  fileBytes: 20 * 1024 * MiB,
});

let processLimits: ToolLimits = DEFAULT_TOOL_LIMITS;

/**
 * The limits every tool of this process runs under unless a call gives its own: set once at
 * start-up from the configuration (a process-wide setting like sharp's concurrency, so that
 * every adapter that runs a tool, deep in the upload and processing paths, applies it).
 */
export function setToolLimits(limits: ToolLimits): void {
  processLimits = { ...limits };
}

export function toolLimits(): Readonly<ToolLimits> {
  return processLimits;
}

/**
 * `prlimit` options for `limits`; empty when there are none. The CPU soft limit sends SIGXCPU
 * (which ends a tool that does not catch it), the hard one `cpuGraceSeconds` later SIGKILL.
 */
export function prlimitArgs(limits: ToolLimits, cpuGraceSeconds = 1): string[] {
  const args: string[] = [];
  if (limits.memoryBytes !== undefined) args.push(`--as=${Math.floor(limits.memoryBytes)}`);
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${Math.ceil(limits.cpuSeconds)}:${Math.ceil(limits.cpuSeconds) + cpuGraceSeconds}`);
  if (limits.fileBytes !== undefined) args.push(`--fsize=${Math.floor(limits.fileBytes)}`);
  return args;
}

/**
 * The command line that runs `cmd` under `limits` and ends it with its parent: util-linux's
 * setpriv sets a parent-death signal and prlimit the limits, each then executing the next. A
 * worker killed outright (SIGKILL, out of memory) cannot stop its tools; with the signal the
 * kernel does. Without setpriv (not Linux) the tool runs without it.
 */
export function toolCommand(cmd: string, limits: ToolLimits, cpuGraceSeconds = 1): string[] {
  const launcher = deathSignalLauncher();
  const flags = prlimitArgs(limits, cpuGraceSeconds);
  return [...(launcher !== null ? [launcher, '--pdeathsig', 'KILL', '--'] : []), ...(flags.length > 0 ? ['prlimit', ...flags, '--'] : []), cmd];
}

/** `cmd args` as run by toolCommand: [program, its arguments]. */
export function limitedCommand(cmd: string, args: readonly string[], limits: ToolLimits): [string, string[]] {
  const [program, ...rest] = toolCommand(cmd, limits);
  return [program!, [...rest, ...args]];
}

let launcher: string | null | undefined;

/** setpriv's path, looked up once on PATH; null where there is none. */
function deathSignalLauncher(): string | null {
  if (launcher !== undefined) return launcher;
  launcher = null;
  if (process.platform !== 'linux') return launcher;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      launcher = candidate;
      break;
    } catch {
      // not here
    }
  }
  return launcher;
}

/**
 * Which limit a tool that failed most likely passed, from how it ended: the kernel's signals
 * for CPU time and file size, and what a failed allocation makes tools write or do.
 */
export function limitHit(limits: ToolLimits, exitSignal: NodeJS.Signals | null, stderr: string): ToolLimit | undefined {
  if (limits.cpuSeconds !== undefined && exitSignal === 'SIGXCPU') return 'cpu';
  if (limits.fileBytes !== undefined && (exitSignal === 'SIGXFSZ' || /File too large/i.test(stderr))) return 'file';
  if (limits.memoryBytes !== undefined && (/bad_alloc|Cannot allocate memory|out of memory|memory allocation failed|malloc of size \d+ failed|failed to map segment/i.test(stderr) ||
    exitSignal === 'SIGABRT' || exitSignal === 'SIGSEGV' || exitSignal === 'SIGBUS')) return 'memory';
  return undefined;
}

/** The sentence for a limit a tool passed. */
export function limitMessage(tool: string, limit: ToolLimit, limits: ToolLimits): string {
  if (limit === 'cpu') return `${tool} used more than its CPU time limit of ${limits.cpuSeconds} s and was stopped`;
  if (limit === 'file') return `${tool} tried to write a file larger than its limit of ${Math.round(limits.fileBytes! / MiB)} MiB and was stopped`;
  return `${tool} failed within its address space limit of ${Math.round(limits.memoryBytes! / MiB)} MiB (out of memory)`;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export type ToolFailure = 'spawn' | 'exit' | 'timeout' | 'abort';

export class ToolError extends Error {
  /** basename of the program, e.g. "heif-convert" */
  readonly tool: string;
  readonly kind: ToolFailure;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stderr: string;
  /** the resource limit the tool passed, when that is how it ended (kind 'exit') */
  readonly limit: ToolLimit | undefined;

  constructor(
    message: string,
    fields: { tool: string; kind: ToolFailure; exitCode?: number | null; exitSignal?: NodeJS.Signals | null; stderr?: string; limit?: ToolLimit },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = fields.kind === 'abort' ? 'AbortError' : 'ToolError';
    this.tool = fields.tool;
    this.kind = fields.kind;
    this.exitCode = fields.exitCode ?? null;
    this.exitSignal = fields.exitSignal ?? null;
    this.stderr = fields.stderr ?? '';
    this.limit = fields.limit;
  }
}

const DEFAULT_MAX_STDERR = 8 * 1024;
const DEFAULT_MAX_STDOUT = 64 * 1024;

/** Keeps the last `max` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.max;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }
  text(): string {
    return (this.truncated ? '…' : '') + Buffer.concat(this.chunks).toString('utf8').trim();
  }
}

/** Keeps the first `max` bytes written to it. */
class Head {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    if (this.size >= this.max) return;
    const part = chunk.subarray(0, this.max - this.size);
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs `cmd` with `args` (never through a shell) and resolves with its bounded output on exit 0. */
export function runTool(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const tool = path.basename(cmd);
  const stderr = new Tail(opts.maxStderr ?? DEFAULT_MAX_STDERR);
  const stdout = new Head(opts.maxStdout ?? DEFAULT_MAX_STDOUT);
  const withStderr = (message: string): string => {
    const text = stderr.text();
    return text === '' ? message : `${message}: ${text}`;
  };

  return new Promise<RunResult>((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      reject(new ToolError(`${tool} was not started: aborted`, { tool, kind: 'abort' }, { cause: signal.reason }));
      return;
    }

    const limits = opts.limits ?? processLimits;
    const [program, argv] = limitedCommand(cmd, args, limits);
    const child = spawn(program, argv, {
      cwd: opts.cwd,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });

    // Why the child was killed, when it was us; decides the error once it has exited.
    let stopped: 'timeout' | 'abort' | undefined;
    let spawnError: Error | undefined;

    const kill = (why: 'timeout' | 'abort'): void => {
      if (stopped !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      stopped = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), Math.max(0, opts.timeoutMs));
    const onAbort = (): void => kill('abort');
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => {
      // spawn failures (ENOENT, EACCES) come here, then 'close' with a negative errno as code
      spawnError = err;
    });

    child.on('close', (code, exitSignal) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (spawnError !== undefined) {
        const errno = (spawnError as NodeJS.ErrnoException).code;
        const missing = program === cmd ? tool : `${program} (util-linux, which sets the tools' resource limits)`;
        const hint = errno === 'ENOENT' ? ` (not found: is ${missing} installed and on PATH?)` : '';
        reject(new ToolError(`${tool} could not be started${hint}: ${spawnError.message}`, { tool, kind: 'spawn' }, { cause: spawnError }));
        return;
      }
      const fields = { tool, exitCode: code, exitSignal, stderr: stderr.text() };
      if (stopped === 'timeout') {
        reject(new ToolError(withStderr(`${tool} timed out after ${opts.timeoutMs} ms and was killed`), { ...fields, kind: 'timeout' }));
      } else if (stopped === 'abort') {
        reject(new ToolError(withStderr(`${tool} was aborted and killed`), { ...fields, kind: 'abort' }, { cause: signal?.reason }));
      } else if (program !== cmd && (code === 126 || code === 127) && /^prlimit: failed to execute/m.test(fields.stderr)) {
        // prlimit could not execute the tool: not found (127) or not executable (126)
        const hint = code === 127 ? ` (not found: is ${tool} installed and on PATH?)` : '';
        reject(new ToolError(`${tool} could not be started${hint}: ${fields.stderr}`, { ...fields, kind: 'spawn' }));
      } else if (code !== 0) {
        const limit = limitHit(limits, exitSignal, fields.stderr);
        const how = exitSignal !== null ? `was killed by ${exitSignal}` : `exited with code ${code}`;
        const message = limit !== undefined ? limitMessage(tool, limit, limits) : `${tool} ${how}`;
        reject(new ToolError(withStderr(message), { ...fields, kind: 'exit', limit }));
      } else {
        resolve({ stdout: stdout.text(), stderr: fields.stderr });
      }
    });
  });
}
