/**
 * A JPEG's private metadata removed on its head alone: the segments before the first scan are
 * written to a small file with the scan's header and an end marker, cleaned by exiftool there,
 * and checked by exiftool afterwards, as a whole file would be (private-metadata.ts). The
 * caller joins the cleaned head to the file's own scans (JpegHeadSwap), which keeps the image
 * data byte for byte and lets a 10 MB camera file be cleaned while it streams, without exiftool
 * reading or copying its scans. Whether the rest of the file holds metadata after all (a
 * trailer, a segment between scans) is JpegHeadSwap's to tell, as it streams.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { firstScan } from './jpeg-layout.js';
import type { MetadataReader, PhotoMetadata } from './metadata.js';

export interface CleanHead {
  /** the cleaned segments, to send in place of the first `cut` bytes of the file */
  prefix: Buffer;
  /** where the file's first scan (its SOS marker) starts */
  cut: number;
  /**
   * What the cleaned head says (capture time, camera, captions…), read by the same exiftool run
   * as the check: the stored original's, for the worker, which then need not read it again.
   */
  metadata: PhotoMetadata;
}

const END_OF_IMAGE = Buffer.from([0xff, 0xd9]);

/**
 * `head` (the first bytes of a JPEG) cleaned up to its first scan; undefined when that cannot
 * be done on the head: the scan does not start within it, exiftool could not remove every
 * private tag, or what it wrote does not end in the same scan header. Works in a temp dir of
 * its own, removed before it answers.
 */
export async function cleanJpegHead(head: Buffer, metadata: Pick<MetadataReader, 'removePrivate' | 'checkAndRead'>): Promise<CleanHead | undefined> {
  const scan = firstScan(head);
  if (scan === undefined) return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lamha-head-'));
  try {
    const file = path.join(dir, 'head.jpg');
    await writeFile(file, Buffer.concat([head.subarray(0, scan.end), END_OF_IMAGE]));
    await metadata.removePrivate(file);
    const checked = await metadata.checkAndRead(file);
    if (checked.privateTags.length > 0) return undefined;
    const cleaned = await readFile(file);
    const after = firstScan(cleaned);
    if (after === undefined || !cleaned.subarray(after.sos, after.end).equals(head.subarray(scan.sos, scan.end))) return undefined;
    // none is left (the check above); said again so that a row never holds one
    return { prefix: cleaned.subarray(0, after.sos), cut: scan.sos, metadata: { ...checked.metadata, location: null } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
