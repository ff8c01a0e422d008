/**
 * The layers' import rules, read from the sources: src/ never imports workers/ (nor the entry
 * that joins them), and workers/ never imports the app or a Fastify plugin. start.ts is the one
 * module allowed both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** The repository-relative files `file` imports (static and dynamic imports of relative paths). */
export function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(root, path.resolve(root, path.dirname(file), s)).replace(/\.js$/, '.ts'));
}

t.test('the import reader finds what a file imports (checked on a file whose imports are known)', async (t) => {
  t.same(importsOf('start.ts').sort(), ['src/api.ts', 'src/log.ts', 'src/shutdown.ts', 'src/startup.ts', 'workers/run.ts']);
});

/** Each module `from` reaches through imports, directly or not, with the first file that led there. */
function reached(from: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const queue = from.map((f) => [f, f] as const);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [file, via] = next;
    for (const i of importsOf(file)) {
      if (seen.has(i) || !i.endsWith('.ts')) continue;
      seen.set(i, via);
      queue.push([i, via]);
    }
  }
  return seen;
}

t.test('src/ imports nothing from workers/ or start.ts, directly or not', async (t) => {
  const bad = [...reached(sources('src'))].filter(([i]) => i.startsWith('workers/') || i === 'start.ts').map(([i, via]) => `${via} → … → ${i}`);
  t.same(bad, []);
});

t.test('workers/ reaches neither the app nor a Fastify plugin nor a route, directly or not', async (t) => {
  const forbidden = (i: string) => i === 'src/app.ts' || i === 'src/api.ts' || i === 'src/server.ts' || i.startsWith('src/plugins/') || i.startsWith('src/routes/');
  const bad = [...reached(sources('workers'))].filter(([i]) => forbidden(i)).map(([i, via]) => `${via} → … → ${i}`);
  t.same(bad, []);
});
