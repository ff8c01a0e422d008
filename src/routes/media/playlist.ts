/**
 * HLS playlists name their variant playlists, init segments and media segments by relative
 * URIs, and a relative URI drops the playlist's query string: without help, everything below
 * the master playlist would be fetched without `?v=` and could only be cached briefly. Served
 * playlists therefore carry the version on every URI they name (all parts of one HLS rendition
 * are written by one job and share the master's version), so segments keep the same caching as the playlist.
 */
import { HLS_PART_TYPES } from '../../storage/keys.js';

/** Playlists larger than this are served as stored (a two-hour video's is well under 200 KiB). */
export const MAX_REWRITTEN_PLAYLIST = 2 * 1024 * 1024;

export const PLAYLIST_TYPE = HLS_PART_TYPES['.m3u8']!;

/** `text` with `?v=<version>` on each URI line and each URI="…" attribute that has no query yet. */
export function versionPlaylist(text: string, version: string): string {
  const tag = (uri: string) => (uri === '' || uri.includes('?') || /^[a-z][a-z0-9+.-]*:/i.test(uri) ? uri : `${uri}?v=${encodeURIComponent(version)}`);
  return text
    .split('\n')
    .map((line) => {
      const bare = line.replace(/\r$/, '');
      if (bare.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${tag(uri)}"`);
      if (bare.trim() === '') return line;
      return line.replace(bare, tag(bare));
    })
    .join('\n');
}
