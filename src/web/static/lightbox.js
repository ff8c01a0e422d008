// The album's lightbox (PhotoSwipe 5): opens from the grid's tiles, swipe and keyboard, caption and
// credit as the page shows them (same lang/dir), a counter, a download button, a deep link per item
// (#a-{assetId}), videos played in place. In right-to-left pages the items are laid out from right
// to left: the next item comes from the left, by swipe, arrow button and arrow key alike.

import PhotoSwipeLightbox from './vendor/photoswipe/photoswipe-lightbox.esm.min.js';
import { ensureStylesheet } from './styles.js';
import { pageLocale, reducedMotion, t } from './strings.js';

const HASH = /^#a-([0-9a-f-]{36})$/i;
/** Height of the native video controls' bar, where a drag is a seek, not a swipe. */
const CONTROLS_HEIGHT = 56;

function tileOf(link) {
  return link.closest('.tile');
}

/** The slide of one grid tile, from the markup contract's data attributes. */
function itemOf(link) {
  const tile = tileOf(link);
  const img = link.querySelector('img');
  const d = link.dataset;
  const width = Number(d.pswpWidth) || img?.naturalWidth || 0;
  const height = Number(d.pswpHeight) || img?.naturalHeight || 0;
  const item = {
    element: link,
    assetId: tile?.dataset.assetId,
    src: d.pswpSrc || img?.currentSrc || img?.src,
    width,
    height,
    alt: img?.getAttribute('alt') ?? '',
    msrc: img?.currentSrc || img?.src,
    download: d.download,
    downloadName: d.downloadName,
    kind: tile?.dataset.kind,
    captionEl: tile?.querySelector('.tile-caption'),
    thumbhash: img?.dataset.thumbhash,
  };
  if (img?.srcset) item.srcset = img.srcset;
  if (tile?.dataset.kind === 'video' && (d.hls || d.mp4)) {
    Object.assign(item, { type: 'video', hls: d.hls, mp4: d.mp4, storyboard: d.storyboard, subtitles: d.subtitles });
  }
  return item;
}

function videoSlide(content) {
  const data = content.data;
  const box = document.createElement('div');
  box.className = 'pswp__content lamha-video';
  const video = document.createElement('video');
  video.className = 'player';
  video.controls = true;
  video.playsInline = true;
  video.preload = 'metadata';
  // the tile's picture is already in the cache; the largest poster would be a second download
  if (data.msrc || data.src) video.poster = data.msrc || data.src;
  if (data.thumbhash) video.dataset.thumbhash = data.thumbhash;
  if (data.alt) video.setAttribute('aria-label', data.alt);
  if (data.width && data.height) {
    video.width = data.width;
    video.height = data.height;
  }
  box.append(video);
  let subtitles = [];
  try {
    subtitles = data.subtitles ? JSON.parse(data.subtitles) : [];
  } catch {
    subtitles = [];
  }
  // the player's code is fetched only when an album's video is opened
  import('./player.js').then(({ enhancePlayer }) => {
    if (!content.gone) content.player = enhancePlayer(video, { hls: data.hls, mp4: data.mp4, storyboard: data.storyboard, subtitles });
  });
  return box;
}

function captionHtml(item) {
  const box = document.createElement('div');
  if (item?.captionEl) {
    // cloned, so each paragraph keeps its own lang and dir (a fallback caption may differ from the page)
    for (const child of item.captionEl.children) box.append(child.cloneNode(true));
  }
  return box;
}

export function initLightbox(grid) {
  const { lang, rtl } = pageLocale();
  const numbers = new Intl.NumberFormat(lang);
  const still = reducedMotion();
  let items = [];

  const lightbox = new PhotoSwipeLightbox({
    pswpModule: () => import('./vendor/photoswipe/photoswipe.esm.min.js'),
    closeTitle: t('lightbox.close', 'Close'),
    zoomTitle: t('lightbox.zoom', 'Zoom'),
    // In RTL the items run right to left, so PhotoSwipe's left-hand "previous" is the reader's next.
    arrowPrevTitle: rtl ? t('lightbox.next', 'Next') : t('lightbox.previous', 'Previous'),
    arrowNextTitle: rtl ? t('lightbox.previous', 'Previous') : t('lightbox.next', 'Next'),
    errorMsg: t('error.loadFailed', 'This item could not be loaded.'),
    counter: false,
    bgOpacity: 0.96,
    showHideAnimationType: still ? 'none' : 'zoom',
    showAnimationDuration: still ? 0 : 250,
    hideAnimationDuration: still ? 0 : 250,
    zoomAnimationDuration: still ? 0 : 250,
    paddingFn: (viewport) => (viewport.x < 700 ? { top: 44, bottom: 88, left: 0, right: 0 } : { top: 56, bottom: 104, left: 64, right: 64 }),
    mainClass: rtl ? 'lamha-pswp lamha-pswp--rtl' : 'lamha-pswp',
  });

  const readingIndex = (index) => (rtl ? items.length - 1 - index : index);

  lightbox.on('uiRegister', () => {
    const pswp = lightbox.pswp;
    pswp.ui.registerElement({
      name: 'lamha-counter',
      order: 5,
      isButton: false,
      appendTo: 'bar',
      onInit: (el) => {
        el.setAttribute('aria-live', 'polite');
        const update = () => {
          el.textContent = `${numbers.format(readingIndex(pswp.currIndex) + 1)} ${t('lightbox.counterOf', '/')} ${numbers.format(items.length)}`;
        };
        pswp.on('change', update);
        update();
      },
    });
    pswp.ui.registerElement({
      name: 'lamha-download',
      order: 8,
      isButton: true,
      tagName: 'a',
      title: t('lightbox.download', 'Download'),
      html: '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32"><path d="M16 5v14m-6-6 6 6 6-6M8 24h16" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>',
      onInit: (el) => {
        el.setAttribute('aria-label', t('lightbox.download', 'Download'));
        const update = () => {
          const item = pswp.currSlide?.data;
          if (item?.download) {
            // a document's button names what it gives: the PDF (the tile's link), not the picture shown
            const label = item.kind === 'document' ? t('lightbox.downloadDocument', 'Download PDF') : t('lightbox.download', 'Download');
            el.href = item.download;
            el.setAttribute('download', item.downloadName || '');
            el.title = label;
            el.setAttribute('aria-label', label);
            el.hidden = false;
          } else {
            el.removeAttribute('href');
            el.hidden = true;
          }
        };
        pswp.on('change', update);
        update();
      },
    });
    pswp.ui.registerElement({
      name: 'lamha-caption',
      order: 9,
      isButton: false,
      appendTo: 'root',
      onInit: (el) => {
        const update = () => {
          el.replaceChildren(captionHtml(pswp.currSlide?.data));
          el.hidden = !el.textContent.trim();
        };
        pswp.on('change', update);
        update();
      },
    });
  });

  lightbox.on('contentLoad', (e) => {
    const { content } = e;
    if (content.type !== 'video') return;
    e.preventDefault();
    content.element = videoSlide(content);
    content.state = 'loaded';
  });
  lightbox.on('contentDeactivate', ({ content }) => content.player?.pause());
  lightbox.on('contentDestroy', ({ content }) => {
    content.gone = true;
    content.player?.destroy();
    content.player = undefined;
  });
  // On a video's controls and scrub bar, pointers and arrow keys belong to the player (seeking),
  // not to slide navigation; a swipe across the picture itself still moves to the next item.
  lightbox.on('pointerDown', (e) => {
    const { target, clientY } = e.originalEvent;
    if (target.closest?.('.player-scrub')) {
      e.preventDefault();
    } else if (target instanceof HTMLVideoElement && target.closest('.lamha-video')) {
      const box = target.getBoundingClientRect();
      if (clientY > box.bottom - CONTROLS_HEIGHT) e.preventDefault();
    }
  });
  lightbox.on('keydown', (e) => {
    const key = e.originalEvent.key;
    if ((key === 'ArrowLeft' || key === 'ArrowRight') && e.originalEvent.target.closest?.('.lamha-video')) e.preventDefault();
  });
  lightbox.addFilter('isContentZoomable', (zoomable, content) => zoomable && content.type !== 'video');

  // Deep link: the URL names the open item, so it can be shared or reloaded. Opening from the grid
  // adds one history entry, so the phone's Back button closes the lightbox instead of leaving
  // the album; moving between items replaces it. Opened from a link, nothing is added.
  const albumUrl = () => `${location.pathname}${location.search}`;
  let pushed = false;
  let fromLink = false;
  let poppedOut = false;
  lightbox.on('change', () => {
    const id = lightbox.pswp.currSlide?.data.assetId;
    if (!id) return;
    const url = `${albumUrl()}#a-${id}`;
    if (!pushed && !fromLink) {
      history.pushState({ lamhaLightbox: true }, '', url);
      pushed = true;
    } else {
      history.replaceState(history.state, '', url);
    }
  });
  window.addEventListener('popstate', () => {
    if (lightbox.pswp && pushed && !HASH.test(location.hash)) {
      poppedOut = true;
      lightbox.pswp.close();
    }
  });
  lightbox.on('close', () => {
    if (pushed && !poppedOut) history.back();
    else if (HASH.test(location.hash)) history.replaceState(history.state, '', albumUrl());
  });
  lightbox.on('destroy', () => {
    pushed = false;
    fromLink = false;
    poppedOut = false;
  });

  lightbox.init();
  // The stylesheet now and the module at the first sign of interest, so the first open is instant.
  ensureStylesheet();
  const warm = () => import('./vendor/photoswipe/photoswipe.esm.min.js').catch(() => {});
  grid.addEventListener('pointerover', warm, { once: true, passive: true });
  grid.addEventListener('focusin', warm, { once: true });

  function open(index) {
    const links = [...grid.querySelectorAll('.tile-link')];
    if (!links[index]) return false;
    items = links.map(itemOf);
    if (rtl) items.reverse();
    return lightbox.loadAndOpen(readingIndex(index), items);
  }

  grid.addEventListener('click', (e) => {
    const link = e.target.closest?.('.tile-link');
    if (!link || !grid.contains(link)) return;
    // new tab, new window, download: the browser's own behaviour
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const index = [...grid.querySelectorAll('.tile-link')].indexOf(link);
    if (open(index)) e.preventDefault();
  });

  function openFromHash() {
    const m = HASH.exec(location.hash);
    if (!m) return;
    const links = [...grid.querySelectorAll('.tile-link')];
    const index = links.findIndex((l) => tileOf(l)?.dataset.assetId === m[1]);
    if (index >= 0 && !lightbox.pswp) {
      fromLink = true;
      if (!open(index)) fromLink = false;
    }
  }
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
  // Until now a tile's link leads to its own page; from now on it opens here.
  grid.dataset.lightbox = 'ready';

  return { open, lightbox };
}
