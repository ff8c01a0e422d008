// Interface text of the page's locale, from <script type="application/json" id="lamha-strings">.
// A missing key answers the fallback, so a page without the block still works.

let cache;

export function strings() {
  if (!cache) {
    cache = {};
    const el = document.getElementById('lamha-strings');
    if (el) {
      try {
        cache = JSON.parse(el.textContent || '{}');
      } catch {
        cache = {};
      }
    }
  }
  return cache;
}

export function t(key, fallback = '') {
  const s = strings()[key];
  return typeof s === 'string' ? s : fallback;
}

/** The page's locale and direction, from <html lang dir>. */
export function pageLocale() {
  const root = document.documentElement;
  return { lang: root.lang || 'en', rtl: (root.dir || getComputedStyle(root).direction) === 'rtl' };
}

export function reducedMotion() {
  return window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
}
