/**
 * Upload-time refusal of the ffmpeg HLS/concat local-file-read class: a file typed as a video
 * container (an AVI with a GAB2 subtitle chunk, an MP4 box) that carries an HLS playlist or an
 * ffconcat script, which a permissive ffmpeg would follow to read local files. The ffmpeg adapter
 * never opens such nested demuxers anyway (its format allow-list); this check lets the upload be
 * refused with 415 before anything is stored or queued.
 */

/** How much of an upload is looked at: the known exploit files carry the script in the first KiB. */
export const SMUGGLE_SCAN_BYTES = 256 * 1024;

/**
 * What starts or marks a playlist or concat script. Case-sensitive, as ffmpeg's hls and concat
 * probes are; seven bytes or more of ASCII, so random compressed video data almost never holds them.
 */
const MARKERS = ['#EXTM3U', '#EXT-X-', '#EXTINF', 'ffconcat version'].map((m) => Buffer.from(m, 'latin1'));

/** True when the first bytes of an upload hold an HLS playlist or an ffconcat script. */
export function playlistSmuggled(head: Buffer): boolean {
  const bytes = head.length > SMUGGLE_SCAN_BYTES ? head.subarray(0, SMUGGLE_SCAN_BYTES) : head;
  return MARKERS.some((marker) => bytes.includes(marker));
}
