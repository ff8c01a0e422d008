/**
 * Uploads a folder (or files) to an event's album over tus, resumably: a file cut off by the
 * network is resumed from the server's offset, also by running the command again later (the
 * upload URLs are kept in a state file until each file is done).
 *
 *   npx tsx scripts/upload-folder.ts --url https://gallery.example.org --token lamha_… \
 *     --event conf [--album day-1] [--caption "…" --locale en] [--state .lamha-uploads.json] FOLDER_OR_FILES…
 *
 * The token is a photographer's (or an upload link's: the part after `#token=`); LAMHA_TOKEN
 * works too, and keeps it out of the shell's history. Prints one line per file: its name and
 * the asset it became (or the one it duplicates), or why it was refused. Exit status 1 when any
 * file failed.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tus from 'tus-js-client';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    event: { type: 'string' },
    album: { type: 'string' },
    caption: { type: 'string' },
    locale: { type: 'string' },
    state: { type: 'string', default: '.lamha-uploads.json' },
    parallel: { type: 'string', default: '2' },
  },
});
const token = opts.token ?? process.env.LAMHA_TOKEN;
if (!opts.url || !token || !opts.event || positionals.length === 0) {
  process.stderr.write('usage: upload-folder.ts --url URL --token TOKEN --event SLUG [--album SLUG] [--caption TEXT --locale TAG] [--state FILE] [--parallel N] FOLDER_OR_FILES…\n');
  process.exit(2);
}

/** Every regular file under the arguments, hidden files (.DS_Store, ._*) left out, in name order. */
async function filesOf(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isFile()) out.push(p);
    else if (s.isDirectory()) {
      const entries = (await readdir(p, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
      out.push(...(await filesOf(entries.map((e) => path.join(p, e.name)))));
    }
  }
  return out;
}

// Node's build has a file-backed store for upload URLs; the package's types leave it out
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (file: string) => tus.UrlStorage };
const urlStorage = new FileUrlStorage(opts.state!);

function upload(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let last: tus.HttpResponse | undefined;
    const u = new tus.Upload(createReadStream(file), {
      endpoint: `${opts.url!.replace(/\/$/, '')}/api/v1/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata: {
        event: opts.event!, filename: path.basename(file),
        ...(opts.album && { album: opts.album }), ...(opts.caption && { caption: opts.caption }), ...(opts.locale && { locale: opts.locale }),
      },
      // a venue's network may be gone for minutes
      retryDelays: [0, 1000, 3000, 5000, 10_000, 20_000, 30_000, 60_000, 60_000, 60_000],
      urlStorage,
      fingerprint: async () => `lamha:${opts.url}:${path.resolve(file)}:${(await stat(file)).size}`,
      removeFingerprintOnSuccess: true,
      onAfterResponse: (_req, res) => {
        last = res;
      },
      onSuccess: () => {
        const id = last?.getHeader('Lamha-Asset-Id') ?? '?';
        resolve(last?.getHeader('Lamha-Duplicate') === 'true' ? `${id} (already there: the same file)` : id);
      },
      onError: (err) => {
        const body = (err as tus.DetailedError).originalResponse?.getBody();
        try {
          reject(new Error((JSON.parse(body ?? '') as { message: string }).message));
        } catch {
          reject(err);
        }
      },
    });
    void u.findPreviousUploads().then((previous) => {
      if (previous[0]) u.resumeFromPreviousUpload(previous[0]);
      u.start();
    });
  });
}

const files = await filesOf(positionals);
let failed = 0;
let next = 0;
async function lane(): Promise<void> {
  while (next < files.length) {
    const file = files[next++]!;
    try {
      process.stdout.write(`${file}\t${await upload(file)}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`${file}\tFAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, Number(opts.parallel) || 1) }, lane));
process.stderr.write(`${files.length - failed} of ${files.length} files uploaded\n`);
process.exitCode = failed > 0 ? 1 : 0;
