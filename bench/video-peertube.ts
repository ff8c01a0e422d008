/** PeerTube's default VOD transcoding, as bench/video, bench/video-flow and bench/video-encoders reproduce it. */
import path from 'node:path';

/**
 * PeerTube's theoretical bitrate (shared/core-utils/videos/bitrate.ts): height × width × fps ×
 * bits per pixel of the resolution; the target is the average one capped by the input bitrate,
 * floored by the minimum (0.02 bpp).
 */
const AVERAGE_BPP: Record<number, number> = { 360: 0.15, 720: 0.11, 1080: 0.10 };

export function peertubeTarget(resolution: number, ratio: number, fps: number, inputBitrate: number): number {
  const pixels = resolution * resolution * ratio;
  const average = Math.floor(pixels * fps * AVERAGE_BPP[resolution]!);
  const min = Math.floor(pixels * fps * 0.02);
  return Math.max(min, Math.min(inputBitrate, average));
}

/** The video encoder's options: the default x264 VOD builder (veryfast, capped at the target, 16 B-frames, a 2 s GOP). */
export function peertubeX264Args(target: number, fps: number): string[] {
  return [
    '-c:v', 'libx264', '-preset', 'veryfast', '-maxrate:v', String(target), '-bufsize:v', String(target * 2),
    '-b_strategy', '1', '-bf', '16', '-r', String(fps), '-level:v', '3.1', '-g:v', String(fps * 2),
  ];
}

/** presetVOD + addDefaultEncoderGlobalParams + addDefaultEncoderParams + the default x264 VOD builder; AAC ≤ its cap is copied. */
export function peertubeMp4Args(clip: string, resolution: number, target: number, fps: number, out: string): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', clip,
    '-vf', `scale=w=-2:h=${resolution}`,
    ...peertubeX264Args(target, fps),
    '-c:a', 'copy',
    '-max_muxing_queue_size', '1024', '-map_metadata', '-1', '-pix_fmt', 'yuv420p',
    '-movflags', 'faststart', '-f', 'mp4', out,
  ];
}

/** The HLS job made from a web video: codecs copied, fMP4, 4 s segments, one file per playlist. */
export function peertubeHlsArgs(mp4: string, dir: string, resolution: number): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', mp4,
    '-c', 'copy', '-hls_time', '4', '-hls_list_size', '0', '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-hls_flags', 'single_file',
    '-hls_segment_filename', path.join(dir, `${resolution}-fragmented.mp4`),
    '-f', 'hls', path.join(dir, `${resolution}.m3u8`),
  ];
}
