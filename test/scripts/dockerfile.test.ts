/**
 * The image users run has every system tool the service runs: the packages
 * scripts/system-deps.sh installs for `--runtime` are in the Dockerfile's runtime stage.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** Debian marks these essential: every image has them. */
const ESSENTIAL = new Set(['util-linux']);

t.test("the Dockerfile's runtime stage installs what system-deps.sh installs for the runtime", async (t) => {
  const script = read('scripts/system-deps.sh');
  const all = [...script.matchAll(/^\s+\[([a-z0-9+.-]+)\]="[^"]*"$/gm)].map((m) => m[1]!);
  const runtimeLine = /^\s+runtime\) unset (.*) ;;$/m.exec(script)?.[1] ?? '';
  const notAtRuntime = new Set([...runtimeLine.matchAll(/'TOOLS\[([a-z0-9+.-]+)\]'/g)].map((m) => m[1]!));
  const runtime = all.filter((p) => !notAtRuntime.has(p) && !ESSENTIAL.has(p));
  t.ok(runtime.includes('ffmpeg') && runtime.includes('qpdf'), `the runtime packages are read (${runtime.join(', ')})`);

  const dockerfile = read('Dockerfile');
  const stage = dockerfile.slice(dockerfile.search(/^FROM .* AS runtime$/m));
  const installed = new Set((/apt-get install[^\n]*((?:\n[^\n]*\\)*\n[^\n]*)/.exec(stage)?.[0] ?? '').split(/[\s\\]+/));
  t.same(runtime.filter((p) => !installed.has(p)), [], 'none is missing from the image');
});

t.test("the API starts with the same node flags wherever it is started, the benchmarks' too", async (t) => {
  const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
  const image = (JSON.parse(cmd ?? '[]') as string[]).slice(1, -1);
  t.ok(image.includes('--max-semi-space-size=1'), `the image's flags are read (${image.join(' ')})`);
  const compose = /^\s+command: (\["node", .*"dist\/src\/server\.js"\])$/m.exec(read('docker-compose.yml'))?.[1];
  t.same((JSON.parse(compose ?? '[]') as string[]).slice(1, -1), image, 'docker-compose.yml');
  const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.api ?? '';
  t.same(/ node ((?:--\S+ )*)dist\/src\/server\.js/.exec(script)?.[1]?.trim().split(' '), image, "package.json's api script");
  const saved = process.env.BENCH_API_NODE_ARGS;
  delete process.env.BENCH_API_NODE_ARGS;
  try {
    const { API_NODE_ARGS } = await import('../../bench/harness.js');
    t.same(API_NODE_ARGS, image, 'bench/harness.ts');
  } finally {
    if (saved !== undefined) process.env.BENCH_API_NODE_ARGS = saved;
  }
});
