import type { GalleryAsset } from '../../services/gallery.js';
import type { PageContext } from '../context.js';
import { assetMedia } from '../media.js';
import { image } from './image.js';

/** A card's cover picture: as wide as the card (full width on phones, a column on wider screens). */
export function coverImage(ctx: PageContext, asset: GalleryAsset | null, alt: string, lazy: boolean): string {
  if (!asset) return '<div class="cover cover--none" aria-hidden="true"></div>';
  return image(assetMedia(ctx.publicUrl, asset), {
    alt, lazy, placeholder: asset.placeholder, className: 'cover',
    sizes: '(min-width: 64em) 20rem, (min-width: 40em) 45vw, 100vw',
  });
}
