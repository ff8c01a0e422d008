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
