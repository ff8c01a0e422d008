/** Child processes for tests: a project entry point run with tsx, a private redis-server, and who is still running. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `entry` (a .ts path from the project root) with tsx and the given environment added; no
 * hand-off (HANDOFF_DIR) unless it is given: processes of different tests share the project's
 * directory, and their workers download originals from S3, as on another machine.
 */
export function runEntry(entry: string, env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, HANDOFF_DIR: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => out, exit };
}

/** Polls `fn` until `ok` holds or `ms` pass; answers the last value either way, for the assertion to judge. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitFor(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A redis-server of the test's own (Debian's, as on every machine of ours), with extra flags.
 * redis-server cannot be handed a bound socket, so a port is picked and, should another process
 * take it first, picked again.
 */
export async function privateRedis(t: { teardown(fn: () => unknown): void }, flags: string[]): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...flags], { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    const up = await waitFor(() => exited || new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 5000);
    if (up && !exited) {
      t.teardown(() => {
        child.kill('SIGTERM');
      });
      return `redis://127.0.0.1:${port}`;
    }
    child.kill('SIGKILL');
    if (attempt === 5) throw new Error(`private redis-server did not start (${exited ? 'it exited: port taken?' : 'no answer'})`);
  }
}

/**
 * Every process below `pid` (children, theirs, …) with its command name, as `ps` lists them. A
 * `ps` that cannot run, fails, or does not list `pid` itself throws: an empty list must mean
 * "none left", never "could not look".
 */
export function descendants(pid = process.pid): { pid: number; command: string }[] {
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  if (ps.error !== undefined) throw new Error(`ps could not be run: ${ps.error.message}`);
  if (ps.status !== 0) throw new Error(`ps failed (${ps.status ?? ps.signal}): ${ps.stderr.trim()}`);
  const rows = ps.stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), command: m[3]!.trim() }] : [];
  });
  if (!rows.some((r) => r.pid === pid)) throw new Error(`ps does not list process ${pid}, so its children cannot be told:\n${ps.stdout}`);
  const found: { pid: number; command: string }[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      // ps itself is a child of ours while it lists
      if (r.pid === ps.pid || !parents.has(r.ppid) || parents.has(r.pid)) continue;
      parents.add(r.pid);
      found.push({ pid: r.pid, command: r.command });
      grew = true;
    }
  }
  return found;
}
