/**
 * The photographers' uploader (`/{locale}/upload`). The server renders the same page for
 * everybody: the credential is in the URL's fragment or the browser's storage, never sent with
 * the page request, so everything about the bearer (event, albums, links) is filled in by
 * static/uploader.js from the API. Without JavaScript the page says so and shows the command-line
 * way to upload instead.
 */
import { html } from 'ghtml';
import { href, type PageContext } from '../context.js';
import { layout } from '../layout.js';
import { en, type StringKey } from '../locales/en.js';
import { staticUrl } from '../../routes/static/files.js';

/** Every `upload.*` string: the page's script speaks them all (states, error reasons, links). */
export const UPLOAD_CLIENT_KEYS = (Object.keys(en.strings) as StringKey[]).filter((k) => k.startsWith('upload.'));

/** How many days a new upload link lasts unless the editor says otherwise: the length of an event and its aftermath. */
const DEFAULT_LINK_DAYS = 7;

function noscript(ctx: PageContext): string {
  // the command is the README's, with this server's address; it is code, so it stays left to right
  const command = `curl -H "Authorization: Bearer $TOKEN" -F "locale=${ctx.locale}" -F "caption=…" -F "file=@photo.jpg" ${ctx.publicUrl}/api/v1/events/EVENT/albums/ALBUM/assets`;
  return html`<noscript><div class="up-card up-noscript">
<p>${ctx.t('upload.noscript')}</p>
<p>${ctx.t('upload.noscriptCli')}</p>
<pre dir="ltr" lang="en"><code>${command}</code></pre>
<p><a href="/docs">${ctx.t('upload.apiDocs')}</a></p>
</div></noscript>`;
}

function linkForm(ctx: PageContext): string {
  return html`<form id="up-link-form" class="up-card" hidden>
<p class="up-field"><label for="up-token">${ctx.t('upload.linkLabel')}</label>
<input id="up-token" name="token" type="text" autocomplete="off" autocapitalize="off" spellcheck="false" dir="ltr" required aria-describedby="up-token-help">
<span id="up-token-help" class="up-help">${ctx.t('upload.linkHelp')}</span></p>
<p><button type="submit" class="up-button">${ctx.t('upload.linkSubmit')}</button></p>
</form>`;
}

function session(ctx: PageContext): string {
  return html`<section id="up-session" class="up-session" hidden aria-labelledby="up-event-title">
<div class="up-card up-who">
<h2 id="up-event-title"></h2>
<p id="up-link-name" class="up-help"></p>
<p id="up-expires" class="up-help"></p>
<p><button type="button" id="up-forget" class="up-button up-secondary">${ctx.t('upload.forget')}</button></p>
</div>
<div class="up-card up-fields">
<p class="up-field" id="up-event-field" hidden><label for="up-event">${ctx.t('upload.event')}</label><select id="up-event"></select></p>
<p class="up-field" id="up-album-field" hidden><label for="up-album">${ctx.t('upload.album')}</label><select id="up-album"></select></p>
<p id="up-album-fixed" hidden></p>
<p id="up-no-albums" class="up-problem" hidden>${ctx.t('upload.noAlbums')}</p>
<p class="up-field" id="up-lang-field" hidden><label for="up-caption-lang">${ctx.t('upload.captionLanguage')}</label><select id="up-caption-lang"></select>
<span id="up-lang-note" class="up-help" hidden>${ctx.t('upload.captionLanguageNote')}</span></p>
</div>
<div id="up-drop" class="up-drop">
<p class="up-drop-text">${ctx.t('upload.drop')}</p>
<p class="up-or">${ctx.t('upload.or')}</p>
<p class="up-pick"><button type="button" id="up-pick-files" class="up-button">${ctx.t('upload.pickFiles')}</button>
<button type="button" id="up-pick-folder" class="up-button up-secondary">${ctx.t('upload.pickFolder')}</button></p>
<input type="file" id="up-files" multiple hidden>
<input type="file" id="up-folder" multiple webkitdirectory hidden>
</div>
<div id="up-total" class="up-total" hidden>
<label for="up-total-progress">${ctx.t('upload.total')}</label>
<progress id="up-total-progress" max="100" value="0"></progress>
<p id="up-total-text" class="up-stats"></p>
</div>
<ol id="up-list" class="up-list" aria-label="${ctx.t('upload.files')}"></ol>
</section>`;
}

function links(ctx: PageContext): string {
  return html`<section id="up-links" class="up-card up-links" hidden aria-labelledby="up-links-title">
<h2 id="up-links-title">${ctx.t('upload.links.title')}</h2>
<p>${ctx.t('upload.links.intro')}</p>
<form id="up-mint" class="up-mint">
<p class="up-field"><label for="up-mint-label">${ctx.t('upload.links.label')}</label><input id="up-mint-label" name="label" type="text" maxlength="100" autocomplete="off"></p>
<p class="up-field"><label for="up-mint-album">${ctx.t('upload.album')}</label><select id="up-mint-album" name="album"><option value="">${ctx.t('upload.links.anyAlbum')}</option></select></p>
<p class="up-field"><label for="up-mint-days">${ctx.t('upload.links.days')}</label><input id="up-mint-days" name="days" type="number" inputmode="numeric" min="1" max="365" value="${DEFAULT_LINK_DAYS}" required></p>
<p><button type="submit" class="up-button">${ctx.t('upload.links.create')}</button></p>
<p id="up-mint-error" class="up-problem" role="alert" hidden></p>
</form>
<div id="up-minted" class="up-minted" hidden>
<p class="up-field"><label for="up-minted-url">${ctx.t('upload.links.url')}</label><input id="up-minted-url" type="text" readonly dir="ltr"></p>
<p><button type="button" id="up-copy" class="up-button">${ctx.t('upload.links.copy')}</button> <span id="up-copied" role="status"></span></p>
<div id="up-qr" class="up-qr"></div>
</div>
<h3>${ctx.t('upload.links.list')}</h3>
<p id="up-links-none">${ctx.t('upload.links.none')}</p>
<ul id="up-links-list" class="up-links-list"></ul>
</section>`;
}

export function uploadPage(ctx: PageContext): string {
  const title = ctx.t('upload.title');
  const body = html`<header class="page-head"><h1>${title}</h1>
<p class="lede">${ctx.t('upload.intro')}</p></header>
!${noscript(ctx)}
<div id="uploader" class="uploader" data-endpoint="/api/v1/uploads" data-link-base="${ctx.publicUrl}/${ctx.locale}/upload" hidden>
<p id="up-status" class="up-status" role="status" aria-live="polite"></p>
!${linkForm(ctx)}
!${session(ctx)}
!${links(ctx)}
<p id="up-announce" class="up-hidden" role="status" aria-live="polite"></p>
</div>`;
  return layout(ctx, {
    title,
    crumbs: [{ label: ctx.t('nav.events'), href: href(ctx, '') }, { label: title }],
    body,
    bodyClass: 'upload',
    noindex: true,
    styles: [staticUrl('uploader.css')],
    scripts: [{ src: staticUrl('vendor/tus/tus.min.js') }, { src: staticUrl('uploader.js'), module: true }],
    clientKeys: UPLOAD_CLIENT_KEYS,
  });
}
