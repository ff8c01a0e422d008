/**
 * The press page a share link opens: the album's files with their captions, credit and licence,
 * one download each and one for the whole album, in the visitor's language. Not indexed, not
 * cached by anyone: its URL is a credential.
 */
import { html } from 'ghtml';
import type { AlbumRow } from '../../db/albums.js';
import type { EventRow } from '../../db/events.js';
import type { GalleryAsset } from '../../services/gallery.js';
import type { PageContext } from '../context.js';
import { formatDay, titleOf } from '../i18n.js';
import { layout } from '../layout.js';
import { assetMedia } from '../media.js';
import { altOf, captionOf } from '../partials/asset-text.js';
import { creditAndLicense } from '../partials/credit.js';
import { image } from '../partials/image.js';
import { para } from '../partials/text.js';

export interface PressPageData {
  event: EventRow;
  album: AlbumRow;
  assets: GalleryAsset[];
  variant: 'original' | 'web';
  expiresAt: Date;
  /** `/s/<secret>`: where the downloads are */
  base: string;
}

export function pressPage(ctx: PageContext, d: PressPageData): string {
  const albumTitle = titleOf(d.album, d.event, ctx.locale);
  const eventTitle = titleOf(d.event, d.event, ctx.locale);
  const until = formatDay(d.expiresAt.toISOString().slice(0, 10), ctx.locale);
  const items = d.assets.map((asset, i) => {
    const media = assetMedia(ctx.publicUrl, asset);
    return html`<li class="press-file" id="a-${asset.id}">
!${image(media, { alt: altOf(ctx, d.event, asset, i + 1), sizes: '160px', lazy: i > 8, priority: false, placeholder: asset.placeholder, className: 'thumb' })}
<div class="press-text">
!${para('caption', captionOf(ctx, d.event, asset))}
!${creditAndLicense(ctx, asset)}
<p><a class="download" href="${d.base}/files/${asset.id}" download>${ctx.t('press.download')}</a></p>
</div>
</li>`;
  }).join('\n');
  const body = html`<header class="page-head"><h1>${ctx.t('press.title')}: <span lang="${albumTitle.lang}" dir="${albumTitle.dir}">${albumTitle.text}</span></h1>
<p class="event" lang="${eventTitle.lang}" dir="${eventTitle.dir}">${eventTitle.text}</p></header>
<p>${ctx.t('press.intro')} ${ctx.t(d.variant === 'original' ? 'press.originals' : 'press.webSize')}</p>
<p class="expires">${ctx.t('press.expires').replace('{date}', until)}</p>
!${d.assets.length > 0
    ? html`<p><a class="download-all" href="${d.base}/archive.zip" download>${ctx.t('press.downloadAll')}</a></p>
<ul class="press-files">!${items}</ul>`
    : html`<p>${ctx.t('press.empty')}</p>`}`;
  return layout(ctx, { title: `${ctx.t('press.title')}: ${albumTitle.text}`, crumbs: [], body, bodyClass: 'press', noindex: true });
}

/** What an expired, withdrawn or unknown link shows. */
export function pressGonePage(ctx: PageContext): string {
  return layout(ctx, {
    title: ctx.t('press.goneTitle'),
    crumbs: [],
    body: html`<header class="page-head"><h1>${ctx.t('press.goneTitle')}</h1></header>\n<p>${ctx.t('press.gone')}</p>`,
    bodyClass: 'press-gone',
    noindex: true,
  });
}
