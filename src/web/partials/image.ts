/**
 * An <img> over an asset's renditions: srcset by width, sizes from how wide it is drawn,
 * width/height so the page does not jump, the thumbhash (for the client to paint) and its
 * average colour (painted by CSS at once) until the image arrives.
 */
import { html } from 'ghtml';
import { attrUrl } from '../attr.js';
import type { AssetMedia } from '../media.js';

export interface ImageOptions {
  alt: string;
  /** the `sizes` attribute */
  sizes: string;
  lazy: boolean;
  /** the first pictures on screen: fetched ahead of scripts on a slow link */
  priority?: boolean;
  placeholder: string | null;
  className?: string;
}

export function image(media: AssetMedia, o: ImageOptions): string {
  const src = media.src;
  if (!src) return '';
  const largest = media.largest ?? src;
  const srcset = media.srcset.map((c) => `${c.url} ${c.width}w`).join(', ');
  return html`<img!${o.className ? html` class="${o.className}"` : ''} src="!${attrUrl(src.url)}"!${srcset ? html` srcset="!${attrUrl(srcset)}" sizes="${o.sizes}"` : ''} width="${largest.width}" height="${largest.height}" alt="${o.alt}" loading="${o.lazy ? 'lazy' : 'eager'}"!${o.priority ? ' fetchpriority="high"' : ''} decoding="async"!${o.placeholder ? html` data-thumbhash="${o.placeholder}"` : ''}!${media.colour ? html` style="background-color:${media.colour}"` : ''}>`;
}
