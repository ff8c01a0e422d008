/**
 * Location, serial numbers and owner names in a file: removed in place, losslessly, and looked
 * for afterwards. Used on the stored original of an event that does not keep locations
 * (DESIGN: privacy, "location at rest"). Knows nothing of HTTP, SQL or queues.
 *
 * exiftool rewrites only the metadata blocks: a JPEG's tables and entropy-coded data, a PNG's
 * IDAT, a TIFF's strips and a HEIC or AVIF's coded items are copied byte for byte (the tests
 * compare them). What goes:
 * - every GPS tag, in EXIF, XMP and QuickTime (`*GPS*`), and the position fields of drone XMP;
 * - IPTC and XMP place names (city, state, country, sub-location, location created/shown) and
 *   the creator's postal address: a workflow fills them in for publication, but they say where
 *   someone was or lives, and a caption says what the public needs;
 * - serial numbers of bodies and lenses (`*Serial*`) and owner names (`*Owner*`, EXIF Artist and
 *   Copyright, which a camera writes from its settings);
 * - maker notes whole: each maker's own block of serials, owner names and sometimes positions,
 *   in formats only partly known.
 * What stays: capture time, camera and lens model, exposure, captions, credit, copyright notice,
 * keywords, colour profile, orientation, the embedded thumbnail.
 */
import type { ExifTool, WriteTags } from 'exiftool-vendored';

/**
 * exiftool tag names (wildcards allowed) whose values are deleted. Wildcards name their family
 * 0 group: an unqualified one would touch every block of the file, and exiftool refuses the
 * whole write for one block it cannot rewrite (a damaged Photoshop IRB around the IPTC, say).
 */
export const PRIVATE_TAGS: readonly string[] = [
  // the GPS directory whole first: deleting its entries one by one fails on a malformed one
  'GPS:all',
  ...['EXIF', 'XMP', 'QuickTime'].flatMap((g) => [`${g}:*GPS*`, `${g}:*Serial*`, `${g}:*Owner*`]),
  'XMP:*Location*', 'XMP:*Country*', 'QuickTime:*Location*',
  'XMP-drone-dji:all', 'MakerNotes:all',
  'EXIF:Artist', 'EXIF:Copyright',
  'XMP-photoshop:City', 'XMP-photoshop:State',
  'XMP-iptcCore:CreatorAddress', 'XMP-iptcCore:CreatorCity', 'XMP-iptcCore:CreatorRegion', 'XMP-iptcCore:CreatorPostalCode',
  'IPTC:City', 'IPTC:Sub-location', 'IPTC:Province-State', 'IPTC:Country-PrimaryLocationName', 'IPTC:Country-PrimaryLocationCode',
  'IPTC:ContentLocationCode', 'IPTC:ContentLocationName',
];

/** Tag names (family 1 group excluded) that name a place, a serial number or an owner. */
const PRIVATE_NAME = /gps|serial|owner|location|latitude|longitude|^(city|state|country|countrycode|province-state|creator(address|city|region|postalcode|country))$/i;
/** Groups (family 0 or 1) that are private whole. */
const PRIVATE_GROUP = /^(MakerNotes|XMP-drone-dji)$/;
/** Family 0 groups that describe the file or are computed from other tags, never stored in it. */
const NOT_STORED = /^(File|System|ExifTool|Composite)$/;

/**
 * Removes the private tags from `file`, rewriting it in place. exiftool refuses a whole write
 * for one tag it cannot rewrite (a malformed entry, a read-only format), so a refused write is
 * tried again tag by tag. Answers false when not every deletion was written: the caller then
 * decides, by findPrivateTags, whether anything is left.
 */
export async function removePrivateTags(exiftool: ExifTool, file: string): Promise<boolean> {
  const remove = async (names: readonly string[]): Promise<boolean> => {
    const tags = Object.fromEntries(names.map((t) => [t, null])) as unknown as WriteTags;
    try {
      await exiftool.write(file, tags, { writeArgs: ['-overwrite_original', '-api', 'LargeFileSupport=1'], ignoreMinorErrors: true });
      return true;
    } catch {
      return false;
    }
  };
  if (await remove(PRIVATE_TAGS)) return true;
  let all = true;
  for (const name of PRIVATE_TAGS) all = (await remove([name])) && all;
  return all;
}

/**
 * The private tags still in `file`, as `Group0:Group1:Tag`. `embedded` also reads what exiftool
 * finds inside the media streams (timed GPS of phones and action cameras, AVCHD's per-frame
 * camera data), which means reading the whole file.
 */
export async function findPrivateTags(exiftool: ExifTool, file: string, opts: { embedded: boolean }): Promise<string[]> {
  const raw = await exiftool.readRaw(file, { readArgs: privateCheckArgs(opts), useMWG: false }) as Record<string, unknown>;
  return privateTagsIn(raw);
}

/** What exiftool is asked for the check: every tag, duplicates too, keyed by family 0 and 1 groups. */
export function privateCheckArgs(opts: { embedded: boolean }): string[] {
  return ['-a', '-G0:1', '-api', 'LargeFileSupport=1', ...(opts.embedded ? ['-ee'] : [])];
}

/**
 * The private tags among exiftool's keys: `Group0:Group1:Tag`, a family 6 format before the tag
 * where it was asked for (`EXIF:GPS:rational64u:GPSLatitude`), and one group where the two are
 * the same (`IPTC:City`, `Composite:GPSPosition`).
 */
export function privateTagsIn(raw: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const key of Object.keys(raw)) {
    const parts = key.split(':');
    if (parts.length < 2) continue;
    const name = parts[parts.length - 1]!;
    const group0 = parts[0]!;
    const group1 = parts.length === 2 || EXIF_FORMAT.test(parts[1]!) ? group0 : parts[1]!;
    if (NOT_STORED.test(group0)) continue;
    const ownerField = group1 === 'IFD0' && (name === 'Artist' || name === 'Copyright');
    if (PRIVATE_GROUP.test(group0) || PRIVATE_GROUP.test(group1) || PRIVATE_NAME.test(name) || ownerField) found.push(`${group0}:${group1}:${name}`);
  }
  // one tag stored twice (in two formats, say) is named once
  return [...new Set(found)].sort();
}

/** exiftool's family 6 group names: the formats of EXIF values. */
export const EXIF_FORMAT = /^(int(8|16|32|64)[su]|rational(32|64)[su]|float|double|string|undef|binary|ifd(64)?|utf8|unicode|complex)$/;
