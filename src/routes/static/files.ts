/**
 * Which files `/static/*` serves and their versions. The gallery's own files live in
 * src/web/static (dist/src/web/static after a build, copied by the build script); the browser
 * builds of PhotoSwipe, hls.js and thumbhash are served from their packages, so their versions
 * follow package-lock.json, and only the files named here are reachable. tus-js-client's browser
 * build (the uploader page's protocol client) is in its dist/, beside the Node entry's lib.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The gallery's own static files, found beside this module in src and in dist alike. */
export const STATIC_DIR = fileURLToPath(new URL('../../web/static/', import.meta.url));

export interface VendorFiles {
  dir: string;
  files: readonly string[];
  version: string;
}

/**
 * A package's directory and version, found the way Node resolves the package (works from src and
 * dist). `sub`: a directory of the package's own, when the browser files are not beside its entry.
 */
function vendor(name: string, files: string[], sub?: string): VendorFiles {
  const entryDir = path.dirname(require.resolve(name));
  const root = packageRoot(entryDir, name);
  return { dir: sub ? path.join(root.dir, sub) : entryDir, files, version: root.version };
}

function packageRoot(from: string, name: string): { dir: string; version: string } {
  // Some packages do not export their package.json, so it is looked for above the resolved entry.
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return { dir, version: pkg.version };
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json for ${name} above ${from}`);
  }
}

export const VENDOR: Readonly<Record<string, VendorFiles>> = {
  photoswipe: vendor('photoswipe', ['photoswipe-lightbox.esm.min.js', 'photoswipe.esm.min.js', 'photoswipe.css']),
  // the light build: no alternate audio, in-manifest subtitles or DRM, none of which Lamha's HLS uses
  hls: vendor('hls.js', ['hls.light.min.mjs']),
  thumbhash: vendor('thumbhash', ['thumbhash.js']),
  // the UMD build: it defines the global `tus` the uploader page's script uses
  tus: vendor('tus-js-client', ['tus.min.js'], 'dist'),
};

const hashes = new Map<string, { mtimeMs: number; size: number; hash: string }>();

/** The first 12 hex digits of the SHA-256 of a file of STATIC_DIR (cached until it changes); undefined when absent. */
export function ownVersion(file: string): string | undefined {
  const full = path.resolve(STATIC_DIR, file);
  if (!full.startsWith(STATIC_DIR)) return undefined;
  let stat;
  try {
    stat = statSync(full);
  } catch {
    return undefined;
  }
  const known = hashes.get(full);
  if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known.hash;
  const hash = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 12);
  hashes.set(full, { mtimeMs: stat.mtimeMs, size: stat.size, hash });
  return hash;
}

/**
 * A versioned URL for pages to link: `staticUrl('gallery.css')` → `/static/gallery.css?v=<hash>`,
 * `staticUrl('vendor/photoswipe/photoswipe.css')` → `…?v=5.4.4`. Such URLs are cached as immutable.
 */
export function staticUrl(file: string): string {
  const clean = file.replace(/^\/?(static\/)?/, '');
  const m = /^vendor\/([^/]+)\/(.+)$/.exec(clean);
  const version = m ? VENDOR[m[1]!]?.version : ownVersion(clean);
  return version ? `/static/${clean}?v=${version}` : `/static/${clean}`;
}
