/**
 * Photo metadata: capture time, camera, captions, credit and (private) location, read from a
 * file on disk with exiftool. Knows nothing of HTTP, SQL or queues.
 *
 * Why exiftool (13.59, via exiftool-vendored 35) and not exifr (7.1.3): measured on
 * the camera and phone files of test/fixtures plus three files the tests write; exifr given the same mapping effort
 * (XMP before IPTC, offset applied, drone XMP as fallback).
 *
 * | fixture                         | field                         | exifr | exiftool |
 * |---------------------------------|-------------------------------|-------|----------|
 * | jpeg_nikon-d2x (IPTC Latin-1)   | copyright "©2009 …", credit   |   ✓   |    ✓     |
 * | jpeg_iptc-latin1_xmp-utf8       | caption "… leçon? …"          |   ✓   |    ✓     |
 * | written: XMP lang-alt ar/en/ckb | caption per language, credit  |   ✓   |    ✓     |
 * | written: UTF-8 IPTC, no 1:90    | Arabic by-line                |   ✗   |    ✓ (1) |
 * | jpeg_htc-one-m8 (GPS as ASCII)  | location null, not wrong      |   ✗   |    ✓ (2) |
 * | jpeg_kodak (southern)           | latitude −0.3713              |   ✓   |    ✓     |
 * | jpeg_canon-30d (empty GPS)      | location null, no throw       |   ✓   |    ✓     |
 * | jpeg_vivo (OffsetTimeOriginal)  | instant, +08:00               |   ✓   |    ✓     |
 * | heic_iphone7plus (irot 90°)     | displayed 3024×4032           |   ✗   |    ✓     |
 * | heic_iphone-xs-max              | camera, GPS                   |   ✓   |    ✓     |
 * | avif_iphone12pro                | camera, GPS, +08:00           |   ✗   |    ✓     |
 * | tiff_canon-5d3                  | keywords, copyright           |   ✓   |    ✓     |
 * | written: drone, XMP GPS only    | location                      |   ✓   |    ✓     |
 * | jpeg_iphone-4s (resized, or. 6) | lens, displayed 102×205       |   ✗   |    ✓     |
 * | total                           |                               | 11/16 |  16/16   |
 * | speed, 31 image fixtures, warm  | ms per file, one process      | ≈ 1.5 | ≈ 17–30  |
 *
 * exifr throws on this AVIF, has no image size for HEIC and reports the camera's size, not the
 * file's, for resized JPEGs; on the HTC file it returns a latitude string "50.0333…NaN".
 * (1) exiftool reads it as cp1252 too; the repair below fixes it. (2) exiftool's value is
 * wrong as well (52.0139 for 52°50′34″), but it reports the tag's format, so we can drop it.
 * exiftool is ~15× slower (a 2-core VM under load; most of it is Perl's per-file work), which is
 * a few percent of decoding a 24 MP photo; correctness of captions, credit and location wins.
 *
 * Capture time. The wall-clock time comes from the first present of EXIF DateTimeOriginal (with
 * SubSecTimeOriginal), XMP exif:DateTimeOriginal, XMP photoshop:DateCreated, EXIF CreateDate,
 * XMP xmp:CreateDate, IPTC DateCreated+TimeCreated. Its UTC offset comes only from offsets the
 * file states, in this order: the one stored with that time (OffsetTimeOriginal; or an XMP
 * date's own); one the camera stored for the same second (OffsetTimeDigitized, OffsetTime);
 * last, one editing software stamped on XMP/IPTC dates of the same second (often the editor's
 * computer's zone: jpeg_nikon-d2x says +01:00 for a photo taken in Washington). The offset is
 * never derived from GPS: neither looked up from the position nor taken as the difference
 * between the wall clock and the GPS UTC time — a zone is a band of the earth, and the public
 * must not learn where a photo was taken from its capture time. When no offset is stated,
 * `capturedOffset` is null and `capturedAt` holds the wall-clock reading as if it were UTC; a
 * caller that knows the venue's zone can correct it. With no wall-clock time at all, a dated
 * GPS timestamp gives the instant (offset null): a UTC time alone says when, not where.
 *
 * Public text. Caption, headline, title, credit, copyright and keywords come only from IPTC and
 * XMP, fields a photo workflow fills in on purpose (dc:creator / By-line, photoshop:Credit /
 * Credit, dc:rights / CopyrightNotice, dc:description / Caption-Abstract). EXIF Artist,
 * Copyright and ImageDescription are not read: a camera body writes them into every photo from
 * its settings (the owner's name, a "© name", a comment or a placeholder), so a photographer who
 * uploads without a credit would be named anyway. Owner names and serial numbers (EXIF, maker
 * notes, XMP aux) are not read at all.
 */
import { stat } from 'node:fs/promises';
import { ExifTool } from 'exiftool-vendored';
import { exiftoolUnderLimits } from './exiftool-process.js';
import { EXIF_FORMAT, findPrivateTags, privateCheckArgs, privateTagsIn, removePrivateTags } from './private-metadata.js';
import { writePressTags, type PressText } from './press-metadata.js';

export interface PhotoMetadata {
  /** The moment of capture; see the file comment for how it is chosen when no offset is known. */
  capturedAt: Date | null;
  /** The capture's own UTC offset, '+08:00', only as the file states it (never from GPS). */
  capturedOffset: string | null;
  /** As displayed, after orientation (EXIF for JPEG/TIFF, the HEIF transform for HEIC/AVIF). */
  width: number | null;
  height: number | null;
  /** EXIF orientation 1–8, as stored. */
  orientation: number | null;
  camera: { make: string | null; model: string | null } | null;
  lens: string | null;
  exposure: { exposureTime: string | null; fNumber: number | null; iso: number | null; focalLength: number | null } | null;
  /** BCP-47 tag → text; XMP's x-default, or the IPTC caption, under 'x-default'. */
  caption: Record<string, string>;
  headline: string | null;
  title: string | null;
  credit: string | null;
  copyright: string | null;
  keywords: string[];
  /** PRIVATE: decimal degrees, negative south and west. Only ever for private columns. */
  location: { latitude: number; longitude: number; altitude: number | null } | null;
}

/** PhotoMetadata as JSON holds it (a row's jsonb column): the capture time as its ISO string. */
export type PhotoMetadataJson = Omit<PhotoMetadata, 'capturedAt'> & { capturedAt: string | null };

export function photoMetadataFromJson(json: PhotoMetadataJson): PhotoMetadata {
  return { ...json, capturedAt: json.capturedAt === null ? null : new Date(json.capturedAt) };
}

export interface CheckedMetadata {
  /** as findPrivate answers */
  privateTags: string[];
  metadata: PhotoMetadata;
}

export interface MetadataReader {
  /** Never rejects for missing or odd metadata; rejects when the file is not a readable image. */
  read(path: string): Promise<PhotoMetadata>;
  /** removePrivateTags with this reader's exiftool processes (see private-metadata.ts) */
  removePrivate(path: string): Promise<boolean>;
  /** findPrivateTags with this reader's exiftool processes */
  findPrivate(path: string, opts: { embedded: boolean }): Promise<string[]>;
  /**
   * findPrivate (embedded streams too) and read in one exiftool run, for a photo just cleaned:
   * what is left of its private tags, and what it says. Rejects as read does.
   */
  checkAndRead(path: string): Promise<CheckedMetadata>;
  /** writePressTags with this reader's exiftool processes (see press-metadata.ts) */
  writePress(path: string, text: PressText): Promise<void>;
  /** Ends the exiftool processes; reads after this reject. */
  close(): Promise<void>;
}

/**
 * Keys come out as `Group1[:Format]:Tag` (-G1:6). The EXIF format (family 6) is what tells a
 * rational GPS coordinate from one a phone wrote as text, which exiftool would otherwise parse
 * into a wrong position. `#` asks for the plain number; the rest keeps exiftool's conversion
 * (lens names, character sets).
 */
const READ_ARGS = [
  // -fast: stop at the image data instead of reading a 12 MB JPEG to its end for trailers
  // (77 → 22 ms on the 3.9 MB vivo fixture); maker notes stay: many DSLRs keep the lens name only there
  '-fast', '-G1:6', '-a',
  // IPTC without a CodedCharacterSet is Latin-1 in practice (stated here, not left to a default)
  '-charset', 'iptc=Latin1',
  '-File:FileType', '-File:MIMEType', '-File:ImageWidth#', '-File:ImageHeight#',
  '-IFD0:ImageWidth#', '-IFD0:ImageHeight#', '-Composite:ImageSize#', '-QuickTime:Rotation#',
  '-IFD0:Orientation#', '-XMP-tiff:Orientation#',
  '-IFD0:Make', '-IFD0:Model', '-ExifIFD:Make', '-ExifIFD:Model',
  '-ExifIFD:LensModel', '-XMP-exifEX:LensModel', '-XMP-aux:Lens', '-Composite:LensID',
  '-ExifIFD:ExposureTime#', '-ExifIFD:FNumber#', '-ExifIFD:ISO#', '-ExifIFD:FocalLength#',
  '-ExifIFD:DateTimeOriginal#', '-ExifIFD:SubSecTimeOriginal#', '-ExifIFD:OffsetTimeOriginal#',
  '-ExifIFD:CreateDate#', '-ExifIFD:SubSecTimeDigitized#', '-ExifIFD:OffsetTimeDigitized#',
  '-IFD0:ModifyDate#', '-ExifIFD:OffsetTime#',
  '-XMP-exif:DateTimeOriginal#', '-XMP-photoshop:DateCreated#', '-XMP-xmp:CreateDate#',
  '-IPTC:DateCreated#', '-IPTC:TimeCreated#',
  '-XMP-dc:all', '-XMP-photoshop:Headline', '-XMP-photoshop:Credit',
  '-IPTC:CodedCharacterSet', '-IPTC:Caption-Abstract', '-IPTC:Headline', '-IPTC:ObjectName',
  '-IPTC:By-line', '-IPTC:Credit', '-IPTC:CopyrightNotice', '-IPTC:Keywords',
  '-GPS:GPSLatitude#', '-GPS:GPSLatitudeRef#', '-GPS:GPSLongitude#', '-GPS:GPSLongitudeRef#',
  '-GPS:GPSAltitude#', '-GPS:GPSAltitudeRef#', '-GPS:GPSDateStamp#', '-GPS:GPSTimeStamp#',
  '-XMP-exif:GPSLatitude#', '-XMP-exif:GPSLongitude#', '-XMP-exif:GPSAltitude#', '-XMP-exif:GPSAltitudeRef#',
  '-XMP-drone-dji:GPSLatitude#', '-XMP-drone-dji:GPSLongitude#', '-XMP-drone-dji:AbsoluteAltitude#',
  '-ExifTool:Error',
];

/**
 * checkAndRead's arguments: the check's (every tag, family 0 and 1 groups), the read's formats
 * (family 6) and character set, and the tags the read wants as plain numbers named before
 * `-all`, which makes exiftool give those alone without print conversion. No `-fast`: the
 * check reads the whole file.
 */
const CHECK_AND_READ_ARGS = [
  ...privateCheckArgs({ embedded: true }).map((a) => (a === '-G0:1' ? '-G0:1:6' : a)),
  '-charset', 'iptc=Latin1',
  ...READ_ARGS.filter((a) => a.endsWith('#')),
  '-all',
];

export function createMetadataReader(options: { timeoutMs?: number; maxProcs?: number } = {}): MetadataReader {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const exiftool = new ExifTool({
    taskTimeoutMillis: timeoutMs,
    // a file that timed out once will time out again
    taskRetries: 0,
    // address space and file size limits, as every external tool runs under
    ...exiftoolUnderLimits(),
    ...(options.maxProcs !== undefined ? { maxProcs: options.maxProcs } : {}),
  });
  let closed = false;

  async function readRaw(path: string, readArgs: string[]): Promise<Record<string, unknown>> {
    if (closed) throw new Error(`cannot read metadata of ${path}: the metadata reader is closed`);
    // exiftool would read every file inside a directory
    if ((await stat(path).catch(() => null))?.isDirectory()) throw new Error(`cannot read metadata of ${path}: it is a directory`);
    // The pool's own timers do not hold the event loop: after a timed-out exiftool is killed,
    // the next read would wait for a new one while Node, seeing nothing to do, exits.
    const hold = setTimeout(() => undefined, timeoutMs + 60_000);
    try {
      return await exiftool.readRaw(path, { readArgs, useMWG: false }) as Record<string, unknown>;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const why = /timeout/i.test(message) ? `exiftool took longer than ${timeoutMs} ms` : message.split('\n')[0];
      throw new Error(`cannot read metadata of ${path}: ${why}`, { cause: err });
    } finally {
      clearTimeout(hold);
    }
  }

  return {
    async read(path) {
      return toPhotoMetadata(imageTags(path, degroup(await readRaw(path, READ_ARGS))));
    },
    async checkAndRead(path) {
      const raw = await readRaw(path, CHECK_AND_READ_ARGS);
      return { privateTags: privateTagsIn(raw), metadata: toPhotoMetadata(imageTags(path, degroup(withoutFamily0(raw)))) };
    },
    async removePrivate(path) {
      if (closed) throw new Error(`cannot clean ${path}: the metadata reader is closed`);
      return removePrivateTags(exiftool, path);
    },
    async findPrivate(path, opts) {
      if (closed) throw new Error(`cannot read metadata of ${path}: the metadata reader is closed`);
      return findPrivateTags(exiftool, path, opts);
    },
    async writePress(path, text) {
      if (closed) throw new Error(`cannot write metadata of ${path}: the metadata reader is closed`);
      return writePressTags(exiftool, path, text);
    },
    async close() {
      closed = true;
      await exiftool.end();
    },
  };
}

type Tags = Map<string, unknown>;

/** The tags of an image; throws, naming the file, for anything else. */
function imageTags(path: string, tags: Tags): Tags {
  const mime = str(tags.get('File:MIMEType'));
  if (!mime?.startsWith('image/')) {
    const why = str(tags.get('ExifTool:Error')) ?? `it is ${str(tags.get('File:FileType')) ?? 'of an unknown type'}`;
    throw new Error(`cannot read metadata of ${path}: not an image (${why})`);
  }
  return tags;
}

/**
 * `EXIF:GPS:rational64u:GPSLatitude` (families 0, 1 and 6) → `GPS:rational64u:GPSLatitude`, as
 * READ_ARGS (families 1 and 6) has it. exiftool writes one group where families 0 and 1 are
 * the same (`IPTC:By-line`), and a format only for EXIF values.
 */
function withoutFamily0(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const parts = key.split(':');
    const groups = parts.slice(0, -1);
    const dropFirst = groups.length === 3 || (groups.length === 2 && !EXIF_FORMAT.test(groups[1]!));
    out[(dropFirst ? parts.slice(1) : parts).join(':')] = value;
  }
  return out;
}

/** `GPS:rational64u:GPSLatitude` → key `GPS:GPSLatitude`, format under `GPS:GPSLatitude#format`. */
function degroup(raw: Record<string, unknown>): Tags {
  const tags: Tags = new Map();
  for (const [key, value] of Object.entries(raw)) {
    const parts = key.split(':');
    if (parts.length < 2) continue;
    const name = `${parts[0]}:${parts[parts.length - 1]}`;
    if (!tags.has(name)) tags.set(name, value);
    if (parts.length === 3) tags.set(`${name}#format`, parts[1]);
  }
  return tags;
}

function toPhotoMetadata(t: Tags): PhotoMetadata {
  const fileType = str(t.get('File:FileType')) ?? '';
  const orientation = int(t.get('IFD0:Orientation')) ?? int(t.get('XMP-tiff:Orientation'));
  const validOrientation = orientation !== null && orientation >= 1 && orientation <= 8 ? orientation : null;
  const [width, height] = dimensions(t, fileType, validOrientation);
  const iptc = iptcText(t);

  const make = str(t.get('IFD0:Make')) ?? str(t.get('ExifIFD:Make'));
  const model = str(t.get('IFD0:Model')) ?? str(t.get('ExifIFD:Model'));
  const exposure = {
    exposureTime: exposureTime(num(t.get('ExifIFD:ExposureTime'))),
    fNumber: positive(t.get('ExifIFD:FNumber')),
    iso: positive(t.get('ExifIFD:ISO')),
    focalLength: positive(t.get('ExifIFD:FocalLength')),
  };
  const creators = list(t.get('XMP-dc:Creator'));
  const bylines = list(t.get('IPTC:By-line')).map(iptc);
  const keywords = list(t.get('XMP-dc:Subject'));

  return {
    ...captureTime(t),
    width, height,
    orientation: validOrientation,
    camera: make || model ? { make, model } : null,
    lens: str(t.get('ExifIFD:LensModel')) ?? str(t.get('XMP-exifEX:LensModel')) ?? str(t.get('XMP-aux:Lens')) ?? lensId(t.get('Composite:LensID')),
    exposure: Object.values(exposure).some((v) => v !== null) ? exposure : null,
    caption: caption(t, iptc),
    headline: str(t.get('XMP-photoshop:Headline')) ?? iptc(str(t.get('IPTC:Headline'))),
    title: langAlt(t, 'XMP-dc:Title') ?? iptc(str(t.get('IPTC:ObjectName'))),
    credit: joined(creators) ?? joined(bylines) ?? str(t.get('XMP-photoshop:Credit')) ?? iptc(str(t.get('IPTC:Credit'))),
    copyright: langAlt(t, 'XMP-dc:Rights') ?? iptc(str(t.get('IPTC:CopyrightNotice'))),
    keywords: unique(keywords.length > 0 ? keywords : list(t.get('IPTC:Keywords')).map(iptc)),
    location: location(t),
  };
}

function dimensions(t: Tags, fileType: string, orientation: number | null): [number | null, number | null] {
  let w = positive(t.get('File:ImageWidth')) ?? positive(t.get('IFD0:ImageWidth'));
  let h = positive(t.get('File:ImageHeight')) ?? positive(t.get('IFD0:ImageHeight'));
  if (w === null || h === null) {
    const size = str(t.get('Composite:ImageSize'))?.split(/[\sx]+/).map(Number);
    w = size?.[0] && size[0] > 0 ? size[0] : null;
    h = size?.[1] && size[1] > 0 ? size[1] : null;
  }
  // HEIF-family files are turned by their own transform (irot, in quarter turns, or degrees),
  // which decoders apply; their EXIF orientation is informative only.
  const heif = /^(HEIC|HEIF|AVIF)$/.test(fileType);
  const rotation = num(t.get('QuickTime:Rotation'));
  const quarterTurn = heif
    ? rotation === 1 || rotation === 3 || rotation === 90 || rotation === 270
    : orientation !== null && orientation >= 5;
  return quarterTurn ? [h, w] : [w, h];
}

// ---- text ----

/**
 * IPTC text: honoured as UTF-8 when the file says so (1:90); otherwise exiftool reads it as
 * Latin-1 (cp1252), which is what most old files are, but many tools write UTF-8 without
 * saying so. Such text, turned back into its bytes, is valid multi-byte UTF-8, something real
 * Latin-1 text almost never is; then the UTF-8 reading wins.
 */
function iptcText(t: Tags): (s: string | null) => string | null {
  if (str(t.get('IPTC:CodedCharacterSet')) !== null) return (s) => s;
  return (s) => {
    if (s === null || !/[^\u0000-\u007f]/.test(s)) return s;
    const bytes: number[] = [];
    for (const ch of s) {
      const code = ch.codePointAt(0) ?? 0;
      const byte = code <= 0xff ? code : CP1252_BYTES.get(ch);
      if (byte === undefined) return s;
      bytes.push(byte);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      return s;
    }
  };
}

/** The characters cp1252 puts at 0x80–0x9F, back to their bytes (the five unassigned pass through). */
const CP1252_BYTES = new Map([...'€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'].map((ch, i) => [ch, 0x80 + i] as const));

function caption(t: Tags, iptc: (s: string | null) => string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of t) {
    const m = /^XMP-dc:Description(?:-(.+))?$/.exec(key);
    const text = m ? str(value) : null;
    if (m && text) out[m[1] ?? 'x-default'] = text;
  }
  if (Object.keys(out).length > 0) return out;
  const legacy = iptc(str(t.get('IPTC:Caption-Abstract')));
  return legacy ? { 'x-default': legacy } : {};
}

/** A lang-alt value: x-default, else the first language the file holds. */
function langAlt(t: Tags, name: string): string | null {
  const main = str(t.get(name));
  if (main) return main;
  for (const [key, value] of t) if (key.startsWith(`${name}-`) && str(value)) return str(value);
  return null;
}

function lensId(value: unknown): string | null {
  const s = str(value);
  // without print conversion LensID is a maker's number; a lens has a name
  return s && !/^[\d.\s]+$/.test(s) && !/^unknown/i.test(s) ? s : null;
}

// ---- time ----

interface Stamp { wall: number; offset: number | null }

function captureTime(t: Tags): Pick<PhotoMetadata, 'capturedAt' | 'capturedOffset'> {
  const exif = [
    stamp(t.get('ExifIFD:DateTimeOriginal'), t.get('ExifIFD:SubSecTimeOriginal'), t.get('ExifIFD:OffsetTimeOriginal')),
    stamp(t.get('ExifIFD:CreateDate'), t.get('ExifIFD:SubSecTimeDigitized'), t.get('ExifIFD:OffsetTimeDigitized')),
    stamp(t.get('IFD0:ModifyDate'), undefined, t.get('ExifIFD:OffsetTime')),
  ];
  const edited = [
    stamp(t.get('XMP-exif:DateTimeOriginal')),
    stamp(t.get('XMP-photoshop:DateCreated')),
    stamp(t.get('XMP-xmp:CreateDate')),
    iptcStamp(t.get('IPTC:DateCreated'), t.get('IPTC:TimeCreated')),
  ];
  const primary = exif[0] ?? edited[0] ?? edited[1] ?? exif[1] ?? edited[2] ?? edited[3];
  if (!primary) return { capturedAt: gpsUtc(t), capturedOffset: null };

  // Offsets the camera wrote for this same wall-clock second come first (ModifyDate counts
  // when it equals it: the file was not edited later); then offsets that editing software
  // stamped on, often its own computer's zone rather than the venue's. GPS time is never
  // compared with the wall clock: the difference is the zone, which narrows down where the
  // photo was taken, and it would be published beside a location that is kept private.
  const sameSecond = (c: Stamp | null): c is Stamp & { offset: number } =>
    c !== null && c.offset !== null && Math.floor(c.wall / 1000) === Math.floor(primary.wall / 1000);
  const offset = primary.offset ?? exif.find(sameSecond)?.offset ?? edited.find(sameSecond)?.offset ?? null;
  return {
    capturedAt: new Date(primary.wall - (offset ?? 0) * 60_000),
    capturedOffset: offset === null ? null : formatOffset(offset),
  };
}

const DATE_TIME = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** An EXIF/XMP date-time as wall-clock milliseconds (its digits read as UTC) and its offset. */
function stamp(value: unknown, subSec?: unknown, offsetValue?: unknown): Stamp | null {
  const m = DATE_TIME.exec(str(value) ?? '');
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
  // rejects 0000:00:00 and impossible dates; 1970-01-01 is an unset clock, not a photo
  if (y < 1826 || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  if (y === 1970 && mo === 1 && d === 1) return null;
  const fraction = m[7] ?? (/^\d+$/.test(String(subSec ?? '')) ? String(subSec) : '');
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  return { wall: wall + Math.min(ms, 999), offset: parseOffset(m[8]) ?? parseOffset(str(offsetValue)) };
}

function iptcStamp(date: unknown, time: unknown): Stamp | null {
  const d = str(date);
  const tm = /^(\d{2}:\d{2}:\d{2})(Z|[+-]\d{2}:?\d{2})?$/.exec(str(time) ?? '');
  return d && tm ? stamp(`${d} ${tm[1]}${tm[2] ?? ''}`) : null;
}

/** Minutes east of UTC. */
function parseOffset(s: string | null | undefined): number | null {
  if (!s) return null;
  if (s === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return Math.abs(minutes) <= 14 * 60 && Number(m[3]) < 60 ? minutes : null;
}

function formatOffset(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * GPS time is UTC from the satellites; only with its date (GPSDateStamp, often missing) is it
 * an instant. It says when, not where: alone, it is no more than the upload's own time would.
 */
function gpsUtc(t: Tags): Date | null {
  const time = /^(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(str(t.get('GPS:GPSTimeStamp')) ?? '');
  const date = /^(\d{4}):(\d{2}):(\d{2})$/.exec(str(t.get('GPS:GPSDateStamp')) ?? '');
  if (!time || !date || t.get('GPS:GPSTimeStamp#format') === 'string' || Number(date[1]) <= 1980) return null;
  const timeOfDay = ((Number(time[1]) * 60 + Number(time[2])) * 60 + Number(time[3])) * 1000;
  if (!Number.isFinite(timeOfDay) || timeOfDay >= 86_400_000) return null;
  return new Date(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) + timeOfDay);
}

// ---- location (private) ----

/** EXIF GPS, then XMP exif GPS, then a drone's own XMP; a malformed or 0,0 position is none. */
function location(t: Tags): PhotoMetadata['location'] {
  return exifGps(t) ?? xmpGps(t, 'XMP-exif:GPSLatitude', 'XMP-exif:GPSLongitude', signedAltitude(t.get('XMP-exif:GPSAltitude'), t.get('XMP-exif:GPSAltitudeRef')))
    ?? xmpGps(t, 'XMP-drone-dji:GPSLatitude', 'XMP-drone-dji:GPSLongitude', num(t.get('XMP-drone-dji:AbsoluteAltitude')));
}

const NUMERIC_FORMAT = /^(rational64[su]|double|float|int(8|16|32)[su])$/;

function exifGps(t: Tags): PhotoMetadata['location'] {
  // a coordinate written as text (not the rational triple EXIF specifies) parses into a wrong place
  for (const tag of ['GPS:GPSLatitude', 'GPS:GPSLongitude']) {
    if (!NUMERIC_FORMAT.test(String(t.get(`${tag}#format`) ?? ''))) return null;
  }
  const lat = num(t.get('GPS:GPSLatitude'));
  const lon = num(t.get('GPS:GPSLongitude'));
  if (lat === null || lon === null) return null;
  const latitude = str(t.get('GPS:GPSLatitudeRef'))?.toUpperCase() === 'S' ? -Math.abs(lat) : lat;
  const longitude = str(t.get('GPS:GPSLongitudeRef'))?.toUpperCase() === 'W' ? -Math.abs(lon) : lon;
  const altitude = NUMERIC_FORMAT.test(String(t.get('GPS:GPSAltitude#format') ?? ''))
    ? signedAltitude(t.get('GPS:GPSAltitude'), t.get('GPS:GPSAltitudeRef'))
    : null;
  return position(latitude, longitude, altitude);
}

function xmpGps(t: Tags, latTag: string, lonTag: string, altitude: number | null): PhotoMetadata['location'] {
  const lat = num(t.get(latTag));
  const lon = num(t.get(lonTag));
  return lat === null || lon === null ? null : position(lat, lon, altitude);
}

function signedAltitude(value: unknown, ref: unknown): number | null {
  const alt = num(value);
  return alt === null ? null : Number(ref) === 1 ? -Math.abs(alt) : alt;
}

function position(latitude: number, longitude: number, altitude: number | null): PhotoMetadata['location'] {
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180 || (latitude === 0 && longitude === 0)) return null;
  return { latitude, longitude, altitude };
}

// ---- values ----

function str(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const s = value.replace(/\0+$/, '').trim();
  return s === '' ? null : s;
}

function num(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

function int(value: unknown): number | null {
  const n = num(value);
  return n !== null && Number.isInteger(n) ? n : null;
}

function positive(value: unknown): number | null {
  const n = num(value);
  return n !== null && n > 0 ? n : null;
}

/** As cameras show it: 1/250 below a quarter second, else seconds with one decimal. */
function exposureTime(seconds: number | null): string | null {
  if (seconds === null || seconds <= 0) return null;
  if (seconds < 0.25001) return `1/${Math.round(1 / seconds)}`;
  return seconds.toFixed(1).replace(/\.0$/, '');
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map(str).filter((s): s is string => s !== null);
}

function joined(items: (string | null)[]): string | null {
  const present = items.filter((s): s is string => !!s);
  return present.length > 0 ? present.join(', ') : null;
}

function unique(items: (string | null)[]): string[] {
  return [...new Set(items.filter((s): s is string => !!s))];
}
