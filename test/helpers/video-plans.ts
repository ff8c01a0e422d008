/**
 * Plans of a video's flow for tests that need no file: a 10-minute 1080p recording with audio, as
 * the service plans it for an event that does not keep locations.
 */
import type { VideoProbe } from '../../src/media/ffmpeg.js';
import { downloadPlan, planLadder, planPieces } from '../../src/media/video-plan.js';
import type { VideoPlan } from '../../workers/processors/video-flow.js';

export function tenMinutePlan(): VideoPlan {
  const probe = { width: 1920, height: 1080, durationMs: 600_000, hasAudio: true, audioCodec: 'aac', videoCodec: 'h264', bitDepth: 8, hdr: false, pixelFormat: 'yuv420p', rotation: 0 } as VideoProbe;
  return { probe, rungs: planLadder(1920, 1080), pieces: planPieces(600_000, 120), download: downloadPlan(probe), cleanOriginal: true };
}
