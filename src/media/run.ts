/**
 * Runs one external media tool (heif-convert, pdftoppm, …) safely: an argument array and no
 * shell, a deadline after which the process is killed, an abort signal, and bounded capture of
 * its output for error messages. The promise settles only once the process has exited, so a
 * rejected call never leaves a child behind.
 */
import { spawn } from 'node:child_process';
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

  constructor(
    message: string,
    fields: { tool: string; kind: ToolFailure; exitCode?: number | null; exitSignal?: NodeJS.Signals | null; stderr?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = fields.kind === 'abort' ? 'AbortError' : 'ToolError';
    this.tool = fields.tool;
    this.kind = fields.kind;
    this.exitCode = fields.exitCode ?? null;
    this.exitSignal = fields.exitSignal ?? null;
    this.stderr = fields.stderr ?? '';
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

    const child = spawn(cmd, args, {
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
        const hint = errno === 'ENOENT' ? ` (not found: is ${tool} installed and on PATH?)` : '';
        reject(new ToolError(`${tool} could not be started${hint}: ${spawnError.message}`, { tool, kind: 'spawn' }, { cause: spawnError }));
        return;
      }
      const fields = { tool, exitCode: code, exitSignal, stderr: stderr.text() };
      if (stopped === 'timeout') {
        reject(new ToolError(withStderr(`${tool} timed out after ${opts.timeoutMs} ms and was killed`), { ...fields, kind: 'timeout' }));
      } else if (stopped === 'abort') {
        reject(new ToolError(withStderr(`${tool} was aborted and killed`), { ...fields, kind: 'abort' }, { cause: signal?.reason }));
      } else if (code !== 0) {
        const how = exitSignal !== null ? `was killed by ${exitSignal}` : `exited with code ${code}`;
        reject(new ToolError(withStderr(`${tool} ${how}`), { ...fields, kind: 'exit' }));
      } else {
        resolve({ stdout: stdout.text(), stderr: fields.stderr });
      }
    });
  });
}
