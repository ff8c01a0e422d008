/**
 * Which rendition goes where: srcset candidates, the lightbox's large image, the download, the
 * share image, and the placeholder colour. All URLs come from renditionUrl (versioned). URLs the
 * page itself uses are root-relative (shorter: a 200-photo page holds some 1,400 of them); the
 * share image is absolute, as link previews need.
 */
import { thumbHashToAverageRGBA } from 'thumbhash';
import type { RenditionRow } from '../db/assets.js';
import type { GalleryAsset } from '../services/gallery.js';
import { renditionUrl } from '../services/urls.js';

export interface Candidate {
  url: string;
  width: number;
  height: number;
  type: string;
}

export interface AssetMedia {
  /** WebP renditions by width, smallest first */
  srcset: Candidate[];
  /** the <img src>: medium if there is one, else the largest */
  src: Candidate | null;
  largest: Candidate | null;
  /** a JPEG (share previews, old clients) when there is one, else the largest */
  share: Candidate | null;
  download: { url: string; ext: string } | null;
  hls: string | null;
  mp4: string | null;
  storyboard: string | null;
  /** e.g. '#a1b2c3' from the thumbhash, shown until the image arrives */
  colour: string | null;
}

// fallback.jpg is the JPEG fallback; large.jpg, medium.jpg and thumb.jpg the same on older assets
const STILL = /^(thumb|medium|large)\.(webp|jpg)$|^fallback\.jpg$/;

function candidate(publicUrl: string, r: RenditionRow): Candidate {
  return { url: renditionUrl(publicUrl, r), width: r.width ?? 0, height: r.height ?? 0, type: r.type };
}

export function assetMedia(publicUrl: string, asset: GalleryAsset): AssetMedia {
  const page = '';
  const stills = asset.renditions.filter((r) => STILL.test(r.name) && r.width && r.height);
  const webp = stills.filter((r) => r.type === 'image/webp').sort((a, b) => a.width! - b.width!);
  const jpeg = stills.filter((r) => r.type === 'image/jpeg').sort((a, b) => b.width! - a.width!)[0];
  const srcset = webp.map((r) => candidate(page, r));
  const largest = srcset[srcset.length - 1] ?? (jpeg ? candidate(page, jpeg) : null);
  const named = (name: string) => asset.renditions.find((r) => r.name === name);
  const url = (name: string) => {
    const r = named(name);
    return r ? renditionUrl(page, r) : null;
  };
  const mp4 = url('download.mp4');
  let download: AssetMedia['download'] = null;
  const pdf = url('document.pdf');
  // a document is downloaded as the PDF or not at all, never as a picture of its first page
  if (asset.kind === 'document') download = pdf ? { url: pdf, ext: 'pdf' } : null;
  else if (asset.kind === 'video' && mp4) download = { url: mp4, ext: 'mp4' };
  else if (jpeg) download = { url: renditionUrl(page, jpeg), ext: 'jpg' };
  else if (largest) download = { url: largest.url, ext: 'webp' };
  const medium = srcset.find((c) => c.url.includes('/medium.webp?'));
  return {
    srcset,
    src: medium ?? largest,
    largest,
    share: jpeg ? candidate(publicUrl, jpeg) : webp.length > 0 ? candidate(publicUrl, webp[webp.length - 1]!) : null,
    download,
    hls: url('hls/master.m3u8'),
    mp4,
    storyboard: url('storyboard.vtt'),
    colour: averageColour(asset.placeholder),
  };
}

/** The thumbhash's average colour as #rrggbb, or null when there is no (valid) hash. */
export function averageColour(placeholder: string | null): string | null {
  if (!placeholder) return null;
  try {
    const { r, g, b } = thumbHashToAverageRGBA(Buffer.from(placeholder, 'base64'));
    const hex = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, '0');
    return `#${hex(r)}${hex(g)}${hex(b)}`;
  } catch {
    return null;
  }
}

/** `{event}-{first 8 of the id}.{ext}`: short, safe, and tells where it came from. */
export function downloadName(eventSlug: string, assetId: string, ext: string): string {
  return `${eventSlug}-${assetId.slice(0, 8)}.${ext}`;
}
