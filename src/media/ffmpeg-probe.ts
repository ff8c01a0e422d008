/**
 * Reads ffprobe's JSON report (`-print_format json -show_format -show_streams`) into a
 * VideoProbe. Pure: no process is run here. A file that is not a video Lamha accepts is
 * LAMHA_UNSUPPORTED_TYPE; an accepted container that cannot be read is LAMHA_UNDECODABLE.
 */
import { UndecodableError, UnsupportedTypeError } from '../errors.js';

/** Demuxers ffprobe and ffmpeg may open; anything else (hls, concat, image2, …) is refused. */
export const VIDEO_DEMUXERS: readonly string[] = Object.freeze([
  'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', // one demuxer: "mov,mp4,m4a,3gp,3g2,mj2"
  'matroska', 'webm', // one demuxer: "matroska,webm"
  'mpegts',
  'avi',
]);

export interface VideoProbe {
  /** the demuxer ffprobe used, e.g. 'mov,mp4,m4a,3gp,3g2,mj2' */
  container: string;
  durationMs: number | null;
  /** as displayed: rotation applied (a portrait phone video has height > width) */
  width: number;
  height: number;
  /** degrees clockwise the stored picture is turned to be shown upright, as ffmpeg's autorotate does */
  rotation: 0 | 90 | 180 | 270;
  videoCodec: string;
  pixelFormat: string | null;
  bitDepth: number;
  /** PQ or HLG transfer (smpte2084, arib-std-b67) or BT.2020 primaries */
  hdr: boolean;
  frameRate: number | null;
  hasAudio: boolean;
  audioCodec: string | null;
  /**
   * the first audio stream's shape, as ffprobe reported it (null fields: not reported), for
   * whether it is copied as it is (copiesAudio); absent from plans stored before it was read
   */
  audioStream?: { profile: string | null; channels: number | null; kbps: number | null } | null;
  /** capture time: com.apple.quicktime.creationdate, else the container's or stream's creation_time */
  creationTime: Date | null;
  /** PRIVATE: where it was filmed (ISO 6709 from location, ©xyz or com.apple.quicktime.location.ISO6709) */
  location: { latitude: number; longitude: number; altitude: number | null } | null;
}

type Tags = Record<string, string | undefined>;

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  color_primaries?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  profile?: string;
  channels?: number;
  bit_rate?: string;
  disposition?: Record<string, number | undefined>;
  tags?: Tags;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

export interface ProbeReport {
  format?: { format_name?: string; duration?: string; tags?: Tags };
  streams?: ProbeStream[];
}

/** The demuxer name ffmpeg's `-f` takes for a container ffprobe reported ('mov,mp4,…' → 'mov'). */
export function demuxerOf(container: string): string {
  const names = container.split(',').map((n) => n.trim());
  if (names.length === 0 || !names.every((n) => VIDEO_DEMUXERS.includes(n))) {
    throw new UnsupportedTypeError(`the container "${container}" is not an accepted video format`);
  }
  return names[0]!;
}

/** ffprobe's JSON report, as it came; a cut or garbled one is the file's fault (it made ffprobe write so much). */
export function readProbeReport(json: string): ProbeReport {
  try {
    return JSON.parse(json) as ProbeReport;
  } catch (err) {
    throw new UndecodableError('ffprobe gave an unreadable report', { cause: err });
  }
}

/** Turns ffprobe's JSON report into a VideoProbe; throws when it holds no usable video. */
export function parseProbeReport(json: string): VideoProbe {
  const report = readProbeReport(json);
  const container = report.format?.format_name;
  if (typeof container !== 'string' || container === '') throw new UnsupportedTypeError('ffprobe could not tell the container');
  demuxerOf(container);

  const streams = Array.isArray(report.streams) ? report.streams : [];
  // Cover art in MP4/MKV is a video stream too; it is not the video.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && s.disposition?.timed_thumbnails !== 1);
  if (video === undefined) throw new UnsupportedTypeError(`the ${container} file holds no video stream`);
  const { width, height, codec_name: codec } = video;
  if (typeof codec !== 'string' || codec === '' || codec === 'none') throw new UndecodableError('the video stream has an unknown codec');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! <= 0 || height! <= 0) {
    throw new UndecodableError(`the ${codec} video stream has no picture size`);
  }
  const audio = streams.find((s) => s.codec_type === 'audio');
  const rotation = rotationOf(video);
  const sideways = rotation === 90 || rotation === 270;
  const transfer = video.color_transfer ?? '';
  const formatTags = lowerKeys(report.format?.tags);
  const videoTags = lowerKeys(video.tags);
  const allTags = [formatTags, videoTags, ...streams.filter((s) => s !== video).map((s) => lowerKeys(s.tags))];

  return {
    container,
    durationMs: seconds(report.format?.duration) ?? seconds(video.duration),
    width: sideways ? height! : width!,
    height: sideways ? width! : height!,
    rotation,
    videoCodec: codec,
    pixelFormat: video.pix_fmt && video.pix_fmt !== 'unknown' ? video.pix_fmt : null,
    bitDepth: bitDepthOf(video),
    hdr: transfer === 'smpte2084' || transfer === 'arib-std-b67' || video.color_primaries === 'bt2020',
    frameRate: fraction(video.avg_frame_rate) ?? fraction(video.r_frame_rate),
    hasAudio: audio !== undefined,
    audioCodec: audio?.codec_name ?? null,
    audioStream: audio === undefined ? null : {
      profile: typeof audio.profile === 'string' && audio.profile !== 'unknown' ? audio.profile : null,
      channels: Number.isInteger(audio.channels) && audio.channels! > 0 ? audio.channels! : null,
      kbps: bitRateK(audio.bit_rate),
    },
    creationTime:
      firstOf(allTags, 'com.apple.quicktime.creationdate', parseDate) ?? firstOf([formatTags, videoTags], 'creation_time', parseDate),
    location: firstOf(allTags, 'com.apple.quicktime.location.iso6709', parseIso6709) ?? firstOf(allTags, 'location', parseIso6709),
  };
}

/** ffprobe's bit_rate (bits/s, a string; 'N/A' or absent when the container does not say) in kbit/s */
function bitRateK(value: string | undefined): number | null {
  const bps = Number(value);
  return value !== undefined && Number.isFinite(bps) && bps > 0 ? Math.round(bps / 1000) : null;
}

function lowerKeys(tags: Tags | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(tags ?? {})) if (typeof v === 'string') map.set(k.toLowerCase(), v);
  return map;
}

/**
 * The first value of `key` that parses, in the order the tag sets are given; a key may also
 * carry a language suffix ('location-eng', '…creationdate-und-NO').
 */
function firstOf<T>(tagSets: Map<string, string>[], key: string, parse: (s: string) => T | null): T | null {
  for (const tags of tagSets) {
    const exact = tags.get(key);
    const candidates = exact !== undefined ? [exact] : [];
    for (const [k, v] of tags) if (k.startsWith(`${key}-`)) candidates.push(v);
    for (const value of candidates) {
      const parsed = parse(value);
      if (parsed !== null) return parsed;
    }
  }
  return null;
}

function rotationOf(video: ProbeStream): VideoProbe['rotation'] {
  // ffprobe reports the display matrix as degrees counter-clockwise; the legacy rotate tag is clockwise.
  const matrix = video.side_data_list?.find((d) => typeof d.rotation === 'number' && Number.isFinite(d.rotation));
  let clockwise: number | undefined;
  if (matrix !== undefined) clockwise = -matrix.rotation!;
  else {
    const tag = Number(lowerKeys(video.tags).get('rotate'));
    if (Number.isFinite(tag)) clockwise = tag;
  }
  if (clockwise === undefined) return 0;
  const quarter = ((Math.round(clockwise / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter]!;
}

function bitDepthOf(video: ProbeStream): number {
  const raw = Number(video.bits_per_raw_sample);
  if (Number.isInteger(raw) && raw > 0) return raw;
  // 'yuv420p10le' → 10, 'p010le' → 10; packed formats name bits per pixel ('rgb48le') → at most 16
  const m = /(\d+)(?:le|be)$/.exec(video.pix_fmt ?? '');
  return m ? Math.min(16, Number(m[1])) : 8;
}

function seconds(value: string | undefined): number | null {
  const s = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : null;
}

function fraction(value: string | undefined): number | null {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(value ?? '');
  if (!m) return null;
  const rate = Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2]));
  return Number.isFinite(rate) && rate > 0 ? Math.round(rate * 1000) / 1000 : null;
}

const DATE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date-time; one without a zone is UTC, as QuickTime and Matroska store it. */
export function parseDate(value: string): Date | null {
  const m = DATE.exec(value.trim());
  if (!m) return null;
  const zone = m[3] === undefined ? 'Z' : m[3].toUpperCase() === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const date = new Date(`${m[1]}T${m[2]}${zone}`);
  // 0 and earlier: an unset field (1970 or QuickTime's 1904 epoch), not a capture time
  return Number.isFinite(date.getTime()) && date.getTime() > 0 ? date : null;
}

const ISO6709 = /^([+-])(\d{2}(?:\d{2}(?:\d{2})?)?(?:\.\d+)?)([+-])(\d{3}(?:\d{2}(?:\d{2})?)?(?:\.\d+)?)(?:([+-]\d+(?:\.\d+)?))?(?:CRS[^/]*)?\/?$/;

/**
 * An ISO 6709 point: '+27.1281+100.2508+000.000/', and the degree-minute ('+4852.3+00221.1/')
 * and degree-minute-second ('+485224+0022108/') forms. Null when malformed or out of range.
 */
export function parseIso6709(value: string): { latitude: number; longitude: number; altitude: number | null } | null {
  const m = ISO6709.exec(value.trim());
  if (!m) return null;
  const latitude = angle(m[1]!, m[2]!, 2);
  const longitude = angle(m[3]!, m[4]!, 3);
  const altitude = m[5] === undefined ? null : Number(m[5]);
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180 || (altitude !== null && !Number.isFinite(altitude))) return null;
  return { latitude, longitude, altitude };
}

function angle(sign: string, digits: string, degreeDigits: number): number {
  const [whole = '', frac = ''] = digits.split('.');
  const tail = frac === '' ? '' : `.${frac}`;
  const degrees = Number(whole.slice(0, degreeDigits));
  const rest = whole.slice(degreeDigits);
  let value: number;
  if (rest.length === 0) value = Number(`${whole}${tail}`);
  else if (rest.length === 2) value = degrees + Number(`${rest}${tail}`) / 60;
  else value = degrees + Number(rest.slice(0, 2)) / 60 + Number(`${rest.slice(2)}${tail}`) / 3600;
  return sign === '-' ? -value : value;
}
