/** pg_dump and pg_restore, run as child processes (Debian's postgresql-client). */
import { spawn } from 'node:child_process';
import { withDefaultUser } from '../db/database.js';

/** Runs a PostgreSQL client tool; answers its output (kept for short ones: pg_restore --list); rejects with its stderr when it fails or is missing. */
export function runPgTool(tool: 'pg_dump' | 'pg_restore', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 64 * 1024) stderr += s;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new Error(`${tool} is not installed: install PostgreSQL's client tools (Debian: apt-get install postgresql-client)`) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${tool} failed (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/** The connection string as libpq takes it, with the operating-system user when the URL names none. */
export function libpqUrl(url: string): string {
  return withDefaultUser(url);
}
