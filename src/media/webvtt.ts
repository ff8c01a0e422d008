/**
 * Subtitle files → one safe, canonical WebVTT. SubRip (SRT) is converted; WebVTT is parsed by
 * the W3C's own parser and validator (webvtt-parser), then written out again from the parsed
 * cues, so what is stored holds only timings, known cue settings and WebVTT cue markup.
 */
import webvtt from 'webvtt-parser';
import type { Cue, Entity, TreeNode } from 'webvtt-parser';
import htmlEntities from 'webvtt-parser/html-entities.json' with { type: 'json' };
import { InvalidSubtitlesError, NotUtf8Error } from '../errors.js';

const { WebVTTParser, WebVTTCueTextParser } = webvtt;

/** The named character references WebVTT shares with HTML. */
const ENTITIES = htmlEntities as Record<Entity, string>;

export interface Subtitles {
  /** the WebVTT text to store, LF line ends, no BOM */
  vtt: string;
  cues: number;
  /** what the input was */
  format: 'webvtt' | 'srt';
}

/** Decodes, converts, validates and re-serialises; throws LAMHA_NOT_UTF8 or LAMHA_INVALID_SUBTITLES. */
export function toWebVtt(bytes: Uint8Array): Subtitles {
  const text = decodeUtf8(bytes).replace(/\r\n?/g, '\n');
  if (text.trim() === '') throw new InvalidSubtitlesError('The subtitle file is empty');
  const format = /^WEBVTT(?:[ \t\n]|$)/.test(text) ? 'webvtt' : 'srt';
  const cues = parseWebVtt(format === 'srt' ? srtToWebVtt(text) : text);
  return { vtt: serialize(cues), cues: cues.length, format };
}

/** UTF-8 only, strictly: a lone Windows-1256 or Latin-1 byte is refused, not turned into U+FFFD. The BOM goes. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new NotUtf8Error();
  }
}

const SRT_TIME = String.raw`(\d{1,3}):(\d{2}):(\d{2})[,.](\d{1,3})`;
const SRT_TIMING = new RegExp(String.raw`^\s*${SRT_TIME}\s*-->\s*${SRT_TIME}(?:\s.*)?$`);

/**
 * SubRip → WebVTT text: numeric counters dropped, `,` → `.` in timings, SRT-only markup removed
 * (`<font …>`, `{\an8}`-style overrides that a WebVTT player would otherwise show as text).
 */
export function srtToWebVtt(text: string): string {
  const lines = text.split('\n');
  const out = ['WEBVTT', ''];
  let i = 0;
  let cue = 0;
  function fail(line: number, what: string): never {
    const kind = out.length > 2 ? 'Not valid SubRip' : 'Neither WebVTT (no "WEBVTT" first line) nor SubRip';
    throw new InvalidSubtitlesError(`${kind}: line ${line + 1}: ${what}`);
  }
  while (i < lines.length) {
    if (lines[i]!.trim() === '') {
      i++;
      continue;
    }
    cue++;
    if (/^\s*\d+\s*$/.test(lines[i]!) && i + 1 < lines.length && lines[i + 1]!.includes('-->')) i++;
    const m = SRT_TIMING.exec(lines[i]!);
    if (!m) fail(i, 'expected a timing like "00:00:01,000 --> 00:00:04,000"');
    const start = srtTime(m.slice(1, 5));
    const end = srtTime(m.slice(5, 9));
    out.push(''); // from here on the file is taken for SubRip
    if (start === undefined || end === undefined) fail(i, 'minutes and seconds must be below 60');
    if (end <= start) fail(i, `cue ${cue} does not end after it starts`);
    out[out.length - 1] = `${timestamp(start)} --> ${timestamp(end)}`;
    for (i++; i < lines.length && lines[i]!.trim() !== ''; i++) {
      if (lines[i]!.includes('-->')) fail(i, 'a blank line is missing before this cue');
      out.push(lines[i]!.replace(/<\/?font\b[^>]*>/gi, '').replace(/\{\\[^}]*\}/g, ''));
    }
    out.push('');
  }
  return out.join('\n');
}

function srtTime([h, m, s, frac]: string[]): number | undefined {
  if (Number(m) > 59 || Number(s) > 59) return undefined;
  // "1,5" is one and a half seconds: the digits are a decimal fraction
  return (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000 + Number(frac!.padEnd(3, '0'));
}

/**
 * Structural faults refuse the file. These do not: header lines such as YouTube's
 * "Kind: captions" and unknown cue settings (e.g. region:) are ignored by every player and not
 * written out, STYLE blocks are dropped anyway, and cues are written out in time order.
 */
const TOLERATED = new Set([
  'Invalid setting.',
  'No blank line after the signature.',
  'Style blocks cannot appear after the first cue.',
  'Start timestamp is not greater than or equal to start timestamp of previous cue.',
]);

function parseWebVtt(text: string): Cue[] {
  // "metadata" mode keeps the cue-text parser quiet: cue text is escaped and parsed again below.
  const { cues, errors } = new WebVTTParser(ENTITIES).parse(text, 'metadata');
  const fatal = errors.filter((e) => !TOLERATED.has(e.message));
  if (fatal.length > 0) {
    const shown = fatal.slice(0, 3).map((e) => `line ${e.line}: ${e.message}`).join('; ');
    throw new InvalidSubtitlesError(`Not valid WebVTT: ${shown}${fatal.length > 3 ? ` (and ${fatal.length - 3} more)` : ''}`);
  }
  if (cues.length === 0) throw new InvalidSubtitlesError('The subtitle file holds no cues');
  for (const cue of cues) {
    cue.tree = new WebVTTCueTextParser(escapeCueText(cue.text), () => {}, 'subtitles', ENTITIES).parse(cue.startTime, cue.endTime);
  }
  return cues;
}

const TAG_NAMES = 'b|i|u|c|v|lang|ruby|rt';
const KNOWN_TAG = new RegExp(
  String.raw`^<(?:/(?:${TAG_NAMES})|(?:${TAG_NAMES})(?:\.[^\s.<>&]+)*(?:[ \t\f][^<>\n]*)?|(?:\d{2,}:)?\d{2}:\d{2}\.\d{3})>`,
);

/**
 * Cue text as its author meant it: a `<` that does not open WebVTT markup (b, i, u, c, v, lang,
 * ruby, rt, a timestamp) and an `&` that is not a character reference are text, so `<script>`
 * is shown, never interpreted. Numeric references are resolved here (the parser mishandles those
 * beyond U+FFFF).
 */
export function escapeCueText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '<') {
      const tag = KNOWN_TAG.exec(text.slice(i, i + 512));
      if (tag) {
        out += tag[0];
        i += tag[0].length - 1;
      } else {
        out += '&lt;';
      }
    } else if (c === '&') {
      const ref = /^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});/.exec(text.slice(i, i + 40));
      const resolved = ref ? characterReference(ref[1]!) : undefined;
      if (resolved !== undefined) {
        out += resolved;
        i += ref![0].length - 1;
      } else {
        out += '&amp;';
      }
    } else {
      out += c;
    }
  }
  return out;
}

function characterReference(name: string): string | undefined {
  if (!name.startsWith('#')) return `&${name};` in ENTITIES ? `&${name};` : undefined;
  const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
  // No controls (a decoded newline could end the cue early), no surrogates, nothing beyond Unicode.
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return undefined;
  const char = String.fromCodePoint(code);
  return char === '<' ? '&lt;' : char === '&' ? '&amp;' : char;
}

function serialize(cues: readonly Cue[]): string {
  // The parser sorts the cues by time; NOTE comments, STYLE and header lines are not kept:
  // a STYLE sheet could load remote URLs and tell third parties who watches.
  return `WEBVTT\n\n${cues.map(serializeCue).join('\n')}`;
}

function serializeCue(cue: Cue): string {
  const start = Math.round(cue.startTime * 1000);
  const end = Math.round(cue.endTime * 1000);
  const timing = `${timestamp(start)} --> ${timestamp(end)}${settings(cue)}`;
  // A line left empty (it held only markup the parser dropped) would end the cue early.
  const text = serializeNodes(cue.tree.children, start, end, { last: start }).split('\n').filter((l) => l.trim() !== '').join('\n');
  return `${cue.id ? `${cue.id}\n` : ''}${timing}\n${text}${text ? '\n' : ''}`;
}

function settings(cue: Cue): string {
  let s = '';
  if (cue.direction !== 'horizontal') s += ` vertical:${cue.direction}`;
  if (cue.linePosition !== 'auto') {
    s += ` line:${cue.linePosition}${cue.snapToLines ? '' : '%'}${cue.lineAlign !== 'start' ? `,${cue.lineAlign}` : ''}`;
  }
  if (cue.textPosition !== 'auto') s += ` position:${cue.textPosition}%${cue.positionAlign !== 'auto' ? `,${cue.positionAlign}` : ''}`;
  if (cue.size !== 100) s += ` size:${cue.size}%`;
  if (cue.alignment !== 'center') s += ` align:${cue.alignment}`;
  return s;
}

/** Writes the parsed cue text back; what the parser dropped as not conforming stays out. */
function serializeNodes(nodes: readonly TreeNode<'rt' | 'v' | 'lang' | 'c' | 'i' | 'b' | 'u' | 'ruby'>[], start: number, end: number, clock: { last: number }): string {
  let s = '';
  for (const node of nodes) {
    if (node.type === 'text') {
      s += node.value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    } else if (node.type === 'timestamp') {
      const ms = Math.round(node.value * 1000);
      if (ms > clock.last && ms < end) {
        s += `<${timestamp(ms)}>`;
        clock.last = ms;
      }
    } else {
      const inner = serializeNodes(node.children, start, end, clock);
      const annotation = (node.name === 'v' || node.name === 'lang') ? annotationOf(node.value) : '';
      if ((node.name === 'v' || node.name === 'lang') && !annotation) {
        s += inner; // both need their annotation (a speaker, a language) to mean anything
      } else {
        s += `<${node.name}${node.classes.map((c) => `.${c}`).join('')}${annotation ? ` ${annotation}` : ''}>${inner}</${node.name}>`;
      }
    }
  }
  return s;
}

/** The parser keeps annotations raw (a speaker's name): resolved like cue text, `>` escaped. */
function annotationOf(value: string | undefined): string {
  return escapeCueText(value ?? '').replace(/</g, '&lt;').replace(/>/g, '&gt;').trim();
}

/** hh:mm:ss.ttt, hours always written (two digits at least). */
export function timestamp(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const t = ms % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(t).padStart(3, '0')}`;
}
