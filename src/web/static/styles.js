// Styles of the interface the scripts create (lightbox additions, player scrub bar, live status).
// The page's own layout is in gallery.css; PhotoSwipe's stylesheet is linked when first needed.

const CSS = `
.lamha-pswp .pswp__lamha-counter { color: #fff; font-size: 14px; line-height: 44px; padding: 0 12px; opacity: .85; margin-inline-end: auto; }
.lamha-pswp .pswp__lamha-caption { position: absolute; inset-inline: 0; bottom: 0; max-height: 40%; overflow: auto;
  padding: 10px 16px 14px; color: #eee; background: linear-gradient(transparent, rgba(0,0,0,.65) 30%); font-size: 15px; line-height: 1.45; }
.lamha-pswp .pswp__lamha-caption p { margin: 0 auto 4px; max-width: 60em; }
.lamha-pswp .pswp__lamha-caption .credit, .lamha-pswp .pswp__lamha-caption .license { font-size: 13px; opacity: .8; }
.lamha-pswp a.pswp__button--lamha-download { display: flex; align-items: center; justify-content: center; }
.lamha-pswp .pswp__button--lamha-download .pswp__icn path { stroke: var(--pswp-icon-color, #fff); fill: none; }
.lamha-pswp .pswp__button[hidden] { display: none; }
.lamha-pswp .pswp__button:focus-visible, .lamha-pswp a:focus-visible { outline: 2px solid #fff; outline-offset: -4px; }
.lamha-video { display: flex; flex-direction: column; }
.lamha-video video { width: 100%; height: 100%; min-height: 0; flex: 1 1 auto; background: #000; object-fit: contain; }
.player-scrub { position: relative; height: 18px; margin-top: 4px; cursor: pointer; touch-action: none; direction: ltr; }
.player-scrub-track { position: absolute; inset: 7px 0; background: rgba(128,128,128,.45); border-radius: 2px; }
.player-scrub-fill { position: absolute; inset-block: 0; left: 0; background: currentColor; border-radius: 2px; width: 0; }
.player-preview { position: absolute; bottom: 22px; left: 0; border: 2px solid #fff; border-radius: 3px; background-color: #222;
  background-repeat: no-repeat; box-shadow: 0 2px 8px rgba(0,0,0,.5); pointer-events: none; z-index: 2; }
.player-preview[hidden] { display: none; }
.player-preview-time { position: absolute; bottom: 2px; left: 0; right: 0; text-align: center; color: #fff; font: 12px/1.2 system-ui, sans-serif;
  text-shadow: 0 1px 2px #000; font-variant-numeric: tabular-nums; }
.lamha-live-status { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.tile--new { animation: lamha-arrive .6s ease-out; }
@keyframes lamha-arrive { from { opacity: 0; transform: translateY(-8px); } }
@media (prefers-reduced-motion: reduce) { .tile--new { animation: none; } }
`;

let own = false;
let photoswipe = false;

/** Adds the scripts' own styles once. */
export function ensureOwnStyles() {
  if (own) return;
  own = true;
  // a constructed sheet needs no 'unsafe-inline' in a Content-Security-Policy
  if ('adoptedStyleSheets' in document && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = CSS;
    document.head.append(style);
  }
}

/** Links PhotoSwipe's stylesheet (and the scripts' own styles) once, unless the page already does. */
export function ensureStylesheet() {
  ensureOwnStyles();
  if (photoswipe) return;
  photoswipe = true;
  const href = new URL('./vendor/photoswipe/photoswipe.css', import.meta.url);
  if ([...document.styleSheets].some((s) => s.href && new URL(s.href).pathname === href.pathname)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href.pathname;
  document.head.append(link);
}
