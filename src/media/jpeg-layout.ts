/**
 * The layout of a baseline or progressive JPEG as far as metadata goes: every metadata block
 * (APPn, COM) sits in the segments before the first scan, and what follows the first SOS
 * marker is scan data and the tables between scans, up to EOI. A file laid out so can have its
 * metadata rewritten on its head alone (see uploads' ingest cleaning) while the rest is copied
 * byte for byte. ScanCheck tells, as the rest streams by, whether the file kept to that layout:
 * a metadata segment between scans, a marker that belongs to no scan, or any byte after EOI (a
 * phone's trailer, a second picture, a video) means it did not, and the file goes to a cleaner
 * that reads it whole. Knows nothing of HTTP, SQL or queues.
 */
import { createReadStream } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

/** Offsets in a JPEG's head: its first SOS marker and the end of that SOS segment. */
export interface FirstScan {
  sos: number;
  end: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/**
 * Where the first scan of the JPEG starting `head` begins, when `head` holds every segment
 * before it whole and well formed; undefined otherwise (not a JPEG, a damaged length, a head
 * too short to reach the scan).
 */
export function firstScan(head: Buffer): FirstScan | undefined {
  if (head.length < 4 || head[0] !== 0xff || head[1] !== SOI) return undefined;
  let i = 2;
  for (;;) {
    if (i + 1 >= head.length || head[i] !== 0xff) return undefined;
    // fill bytes (0xFF) may precede a marker
    while (i + 1 < head.length && head[i + 1] === 0xff) i++;
    if (i + 3 >= head.length) return undefined;
    const marker = head[i + 1]!;
    // markers without a length (RSTn, TEM, SOI, EOI) do not belong before the first scan
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return undefined;
    const length = head.readUInt16BE(i + 2);
    if (length < 2) return undefined;
    const end = i + 2 + length;
    if (end > head.length) return undefined;
    if (marker === SOS) return { sos: i, end };
    i = end;
  }
}

/** Segments that may come between scans and carry no metadata: DHT, DAC, DQT, DNL, DRI, SOS. */
const BETWEEN_SCANS = new Set([0xc4, 0xcc, 0xdb, 0xdc, 0xdd, SOS]);

type State =
  | { at: 'marker'; seenFF: boolean }
  | { at: 'length'; marker: number; bytes: number[] }
  | { at: 'segment'; marker: number; left: number }
  | { at: 'scan'; seenFF: boolean }
  | { at: 'end' };

/**
 * Follows the bytes of a JPEG from its first SOS marker on and judges, once they have all gone
 * by, whether they were scans and tables only, ending with EOI and nothing after it. It keeps
 * no bytes: a few numbers of state, whatever the size of the file.
 */
export class ScanCheck {
  private state: State = { at: 'marker', seenFF: false };
  private fault: string | undefined;
  /** bytes pushed before the current chunk */
  private offset = 0;
  /** bytes pushed up to and including the EOI marker, once it has come */
  private end: number | undefined;

  /** Feeds the next bytes; after a fault the rest is ignored. */
  push(chunk: Uint8Array): void {
    let i = 0;
    const at = () => this.offset + i;
    while (i < chunk.length && this.fault === undefined) {
      const s = this.state;
      switch (s.at) {
        case 'scan': {
          if (!s.seenFF) {
            const ff = chunk.indexOf(0xff, i);
            if (ff < 0) {
              i = chunk.length;
              break;
            }
            s.seenFF = true;
            i = ff + 1;
            continue;
          }
          const b = chunk[i++]!;
          // stuffed 0xFF, restart markers, fill bytes: still the scan
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) s.seenFF = false;
          else if (b !== 0xff) this.marker(b, at());
          break;
        }
        case 'marker': {
          const b = chunk[i++]!;
          if (!s.seenFF) {
            if (b !== 0xff) this.fault = 'bytes outside any segment';
            else s.seenFF = true;
          } else if (b !== 0xff) {
            this.marker(b, at());
          }
          break;
        }
        case 'length': {
          s.bytes.push(chunk[i++]!);
          if (s.bytes.length < 2) break;
          const length = (s.bytes[0]! << 8) | s.bytes[1]!;
          if (length < 2) this.fault = 'a segment of a bad length';
          else this.state = { at: 'segment', marker: s.marker, left: length - 2 };
          if (length === 2) this.segmentDone(s.marker);
          break;
        }
        case 'segment': {
          const take = Math.min(s.left, chunk.length - i);
          s.left -= take;
          i += take;
          if (s.left === 0) this.segmentDone(s.marker);
          break;
        }
        case 'end':
          this.fault = 'data after the end of the image';
          break;
      }
    }
    this.offset += chunk.length;
  }

  /** A check that goes on from where this one is, apart from it (a resumable upload's next request). */
  copy(): ScanCheck {
    const c = new ScanCheck();
    const s = this.state;
    c.state = s.at === 'length' ? { ...s, bytes: [...s.bytes] } : { ...s };
    c.fault = this.fault;
    c.offset = this.offset;
    c.end = this.end;
    return c;
  }

  /** How many of the bytes pushed make the image, up to and including its EOI; undefined before EOI or after a fault before it. */
  imageBytes(): number | undefined {
    return this.end;
  }

  /** Why the bytes were not a plain JPEG's scans (undefined: they were); call after the last push. */
  finish(): string | undefined {
    if (this.fault === undefined && this.state.at !== 'end') this.fault = 'no end of image';
    return this.fault;
  }

  private marker(b: number, after: number): void {
    if (b === EOI) {
      this.state = { at: 'end' };
      this.end = after;
    }
    else if (BETWEEN_SCANS.has(b)) this.state = { at: 'length', marker: b, bytes: [] };
    else this.fault = `a segment (0xFF${b.toString(16).toUpperCase()}) that does not belong between scans`;
  }

  private segmentDone(marker: number): void {
    this.state = marker === SOS ? { at: 'scan', seenFF: false } : { at: 'marker', seenFF: false };
  }
}

/**
 * A JPEG's bytes with their head replaced: drops the first `cut` bytes (the segments before the
 * first scan), sends `prefix` in their place, and passes the rest (from the SOS marker) through
 * unchanged while a ScanCheck follows it. `fault` says, once the stream has ended, whether the
 * rest kept to the layout that makes the head the only place for metadata (undefined: it did).
 */
export class JpegHeadSwap extends Transform {
  fault: string | undefined;
  private toSkip: number;
  private readonly check = new ScanCheck();

  constructor(private readonly prefix: Buffer, cut: number) {
    super();
    this.toSkip = cut;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let rest = chunk;
    if (this.toSkip > 0) {
      const skip = Math.min(this.toSkip, rest.length);
      this.toSkip -= skip;
      rest = rest.subarray(skip);
      if (this.toSkip === 0) this.push(this.prefix);
    }
    if (rest.length > 0) {
      this.check.push(rest);
      this.push(rest);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.fault = this.toSkip > 0 ? 'the file ends before its first scan' : this.check.finish();
    done();
  }
}

/** The longest head looked through for the first scan (phones put hundreds of kB before it). */
const MAX_HEAD = 4 * 1024 * 1024;

/**
 * Cuts what follows the end of the image from a JPEG file: appended pictures, phones' trailers,
 * a motion photo's video — blocks exiftool cannot vouch for (it does not even list an unknown
 * trailer) and which may carry a position of their own. Answers how many bytes went; 0 when
 * nothing followed, or when the file is not laid out plainly enough to tell where its image ends.
 */
export async function cutAfterImage(file: string): Promise<number> {
  let head = Buffer.alloc(0);
  let scan: FirstScan | undefined;
  const check = new ScanCheck();
  // read no further than the end of the image: its size is the file's business, not the scan's
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    if (scan !== undefined) {
      check.push(chunk);
    } else {
      head = Buffer.concat([head, chunk]);
      scan = firstScan(head);
      if (scan !== undefined) check.push(head.subarray(scan.sos));
      // not a JPEG (a video, say), or a head too long to look through: left as it is
      else if (head.length >= MAX_HEAD || head[0] !== 0xff || head[1] !== 0xd8) return 0;
    }
    if (check.imageBytes() !== undefined) break;
  }
  const image = check.imageBytes();
  if (scan === undefined || image === undefined) return 0;
  const end = scan.sos + image;
  const size = (await stat(file)).size;
  if (end >= size) return 0;
  await truncate(file, end);
  return size - end;
}
