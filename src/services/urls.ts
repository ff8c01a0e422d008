/**
 * Public URLs of renditions. Each carries the rendition's version (when it was written), so the
 * bytes behind a URL never change: a re-made rendition gets a new URL.
 */
import type { RenditionRow } from '../db/assets.js';

export function renditionVersion(r: Pick<RenditionRow, 'createdAt'>): string {
  return r.createdAt.getTime().toString(36);
}

export function renditionUrl(publicUrl: string, r: Pick<RenditionRow, 'assetId' | 'name' | 'createdAt'>): string {
  return `${publicUrl}/media/${r.assetId}/${r.name}?v=${renditionVersion(r)}`;
}
