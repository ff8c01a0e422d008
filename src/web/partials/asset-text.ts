/** The texts of an asset in the visitor's language, with the event's fallbacks. */
import type { EventRow } from '../../db/events.js';
import type { GalleryAsset } from '../../services/gallery.js';
import type { PageContext } from '../context.js';
import { pick, type Text } from '../i18n.js';

export function captionOf(ctx: PageContext, event: EventRow, asset: GalleryAsset): Text | null {
  return pick(asset.caption, ctx.locale, event.defaultLocale, event.locales);
}

/** Alt text: the alt text, else the caption, else "Photo 3" in the visitor's language. */
export function altOf(ctx: PageContext, event: EventRow, asset: GalleryAsset, index: number): string {
  const text = pick(asset.altText, ctx.locale, event.defaultLocale, event.locales) ?? captionOf(ctx, event, asset);
  if (text) return text.text;
  return kindLabel(ctx, asset, index);
}

/** "Photo 3", "Video 12": what an item is and its place in the album, in the visitor's language. */
export function kindLabel(ctx: PageContext, asset: GalleryAsset, index: number): string {
  return `${ctx.t(asset.kind === 'video' ? 'asset.video' : asset.kind === 'document' ? 'asset.document' : 'asset.photo')} ${ctx.n(index)}`;
}
