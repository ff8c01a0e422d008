/**
 * One tile of an album's grid (the markup the client scripts read: see the gallery contract).
 * Also served alone, for live insertion.
 */
import { html } from 'ghtml';
import type { EventRow } from '../../db/events.js';
import type { AlbumRow } from '../../db/albums.js';
import type { GalleryAsset } from '../../services/gallery.js';
import { href, pathOf, type PageContext } from '../context.js';
import { dirOf } from '../i18n.js';
import { languageName } from '../locales/index.js';
import { assetMedia, downloadName } from '../media.js';
import { altOf, captionOf } from './asset-text.js';
import { documentFilename } from './document.js';
import { attrUrl } from '../attr.js';
import { image } from './image.js';
import { para } from './text.js';
import { creditAndLicense } from './credit.js';

/** Row heights of the justified grid (gallery.css --row) and how much a tile may grow past them. */
const ROW_PHONE = 120;
const ROW_SMALL = 160;
const ROW_WIDE = 220;
const GROWTH = 1.4;

export function tileSizes(width: number, height: number): string {
  const ratio = width / height;
  const px = (row: number) => `${Math.round(ratio * row * GROWTH)}px`;
  return `(min-width: 48em) ${px(ROW_WIDE)}, (min-width: 30em) ${px(ROW_SMALL)}, ${px(ROW_PHONE)}`;
}

export interface TileOptions {
  /** 1-based place in the album, for the generic alt text */
  index: number;
  lazy: boolean;
  priority?: boolean;
  /** name the index on the tile (`data-place`): a tile fetched alone, for the live view to put in its place */
  placed?: boolean;
}

export function subtitleTracks(ctx: PageContext, asset: GalleryAsset) {
  return asset.subtitles.map((s) => ({
    srclang: s.locale,
    label: languageName(s.locale),
    dir: dirOf(s.locale),
    src: `/api/v1/assets/${asset.id}/subtitles/${encodeURIComponent(s.locale)}`,
  }));
}

export function tile(ctx: PageContext, event: EventRow, album: AlbumRow, asset: GalleryAsset, o: TileOptions): string {
  const media = assetMedia(ctx.publicUrl, asset);
  const largest = media.largest;
  const w = largest?.width ?? asset.width ?? 1;
  const h = largest?.height ?? asset.height ?? 1;
  const link = href(ctx, pathOf('e', event.slug, album.slug, asset.id));
  const video = asset.kind === 'video'
    ? html` data-hls="!${attrUrl(media.hls ?? '')}" data-mp4="!${attrUrl(media.mp4 ?? '')}" data-storyboard="!${attrUrl(media.storyboard ?? '')}" data-subtitles="${JSON.stringify(subtitleTracks(ctx, asset))}"`
    : '';
  const download = media.download
    ? html` data-download="!${attrUrl(media.download.url)}" data-download-name="${asset.kind === 'document' ? documentFilename(event, asset) : downloadName(event.slug, asset.id, media.download.ext)}"`
    : '';
  const pswp = largest ? html` data-pswp-src="!${attrUrl(largest.url)}" data-pswp-width="${largest.width}" data-pswp-height="${largest.height}"` : '';
  return html`<li class="tile tile--${asset.kind}" id="a-${asset.id}" data-asset-id="${asset.id}" data-kind="${asset.kind}"!${o.placed ? html` data-place="${o.index}"` : ''} style="--w:${w};--h:${h}">
<a class="tile-link" href="${link}"!${pswp}!${download}!${video}>!${image(media, { alt: altOf(ctx, event, asset, o.index), sizes: tileSizes(w, h), lazy: o.lazy, priority: o.priority, placeholder: asset.placeholder })}</a>
<div class="tile-caption" id="c-${asset.id}">
!${para('caption', captionOf(ctx, event, asset))}
!${creditAndLicense(ctx, asset)}
</div>
</li>`;
}
