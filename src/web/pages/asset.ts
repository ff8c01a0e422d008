/**
 * One photo, video or document on its own page (the permalink the lightbox links to): the
 * picture or player, caption, credit, licence, capture date and a download of the largest
 * public rendition. Videos play without scripts through the MP4; scripts add HLS. A document
 * shows its first page, previews of the next ones and its page count, and downloads as its PDF.
 */
import { html } from 'ghtml';
import type { AssetPage } from '../../services/gallery.js';
import { href, pathOf, type PageContext } from '../context.js';
import { formatDay, titleOf } from '../i18n.js';
import { layout } from '../layout.js';
import { assetMedia, downloadName, type AssetMedia } from '../media.js';
import { altOf, captionOf, kindLabel } from '../partials/asset-text.js';
import { documentFilename, documentPages } from '../partials/document.js';
import { image } from '../partials/image.js';
import { para } from '../partials/text.js';
import { creditAndLicense } from '../partials/credit.js';
import { subtitleTracks } from '../partials/tile.js';

const SIZES = '(min-width: 72em) 68rem, 100vw';

function player(ctx: PageContext, data: AssetPage, media: AssetMedia): string {
  const poster = media.src;
  const tracks = subtitleTracks(ctx, data.asset).map((s) =>
    html`<track kind="subtitles" srclang="${s.srclang}" label="${s.label}" src="${s.src}"!${s.srclang === ctx.locale ? ' default' : ''}>`);
  return html`<video class="player" controls playsinline preload="metadata"!${poster ? html` poster="${poster.url}"` : ''}!${media.largest ? html` width="${media.largest.width}" height="${media.largest.height}"` : ''}!${media.colour ? html` style="background-color:${media.colour}"` : ''} data-hls="${media.hls ?? ''}" data-storyboard="${media.storyboard ?? ''}"!${data.asset.placeholder ? html` data-thumbhash="${data.asset.placeholder}"` : ''}>
!${media.mp4 ? html`<source src="${media.mp4}" type="video/mp4">` : ''}
!${tracks}
<p>${ctx.t('asset.noVideo')}</p>
</video>`;
}

export function assetPage(ctx: PageContext, data: AssetPage): string {
  const { event, album, asset } = data;
  const media = assetMedia(ctx.publicUrl, asset);
  const eventTitle = titleOf(event, event, ctx.locale);
  const albumTitle = titleOf(album, event, ctx.locale);
  const caption = captionOf(ctx, event, asset);
  const alt = altOf(ctx, event, asset, data.index);
  const albumPath = pathOf('e', event.slug, album.slug);
  const link = (id: string) => href(ctx, pathOf('e', event.slug, album.slug, id));
  const label = kindLabel(ctx, asset, data.index);
  const title = caption ? truncate(caption.text, 70) : `${label} · ${albumTitle.text}`;
  const figure = asset.kind === 'video'
    ? player(ctx, data, media)
    : image(media, { alt, sizes: SIZES, lazy: false, priority: true, placeholder: asset.placeholder, className: 'photo' });
  const isDocument = asset.kind === 'document';
  const captured = asset.capturedAt ? formatDay(asset.capturedAt.toISOString().slice(0, 10), ctx.locale) : null;
  const body = html`<article class="asset asset--${asset.kind}" id="a-${asset.id}" data-asset-id="${asset.id}" data-kind="${asset.kind}">
<figure>
!${figure}
<figcaption class="tile-caption" id="c-${asset.id}">
!${para('caption', caption)}
!${creditAndLicense(ctx, asset)}
!${captured ? html`<p class="captured"><span class="label">${ctx.t('asset.captured')}:</span> <time datetime="${asset.capturedAt!.toISOString()}">${captured}</time></p>` : ''}
</figcaption>
</figure>
!${isDocument ? documentPages(ctx, asset) : ''}
<p class="actions">
!${media.download ? html`<a class="download" href="${media.download.url}" download="${isDocument ? documentFilename(event, asset) : downloadName(event.slug, asset.id, media.download.ext)}"!${isDocument ? ' type="application/pdf"' : ''}>${ctx.t(isDocument ? 'document.download' : 'asset.download')}</a>` : ''}
</p>
<nav class="pager" aria-label="${ctx.t('nav.pages')}">
!${data.previous ? html`<a class="prev" rel="prev" href="${link(data.previous)}"><span class="arrow" aria-hidden="true">←</span> ${ctx.t('asset.previous')}</a>` : ''}
<a class="up" href="${href(ctx, albumPath)}">${ctx.t('asset.backToAlbum')}</a>
!${data.next ? html`<a class="next" rel="next" href="${link(data.next)}">${ctx.t('asset.next')} <span class="arrow" aria-hidden="true">→</span></a>` : ''}
</nav>
</article>`;
  return layout(ctx, {
    title,
    crumbs: [
      { label: ctx.t('nav.events'), href: href(ctx, '') },
      { label: eventTitle.text, lang: eventTitle.lang, href: href(ctx, pathOf('e', event.slug)) },
      { label: albumTitle.text, lang: albumTitle.lang, href: href(ctx, albumPath) },
      { label },
    ],
    share: { type: 'article', description: caption?.text ?? albumTitle.text, image: media.share, imageAlt: alt },
    body,
    bodyClass: 'asset-page',
  });
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
