/** The credit line and the licence of an asset, in the visitor's language, as tiles and asset pages show them. */
import { html } from 'ghtml';
import { assetCreditLine, effectiveLicense } from '../../services/credit.js';
import type { GalleryAsset } from '../../services/gallery.js';
import type { PageContext } from '../context.js';

export function creditAndLicense(ctx: PageContext, asset: GalleryAsset): string {
  const credit = assetCreditLine(asset, ctx.locale);
  const license = effectiveLicense(asset.license, asset.eventDefaultLicense, ctx.locale);
  const name = license && (license.url
    ? html`<a rel="license" href="${license.url}" title="${license.name}">${license.short}</a>`
    : html`<span title="${license.name}">${license.name}</span>`);
  return html`!${credit ? html`<p class="credit"><span class="label">${ctx.t('asset.credit')}:</span> ${credit}</p>` : ''}
!${name ? html`<p class="license"><span class="label">${ctx.t('asset.license')}:</span> !${name}</p>` : ''}`;
}
