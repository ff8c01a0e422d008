// ThumbHash placeholders: each <img data-thumbhash> (and <video data-thumbhash>) shows the blurred
// preview decoded from its hash as a background until the real picture has arrived.

import { thumbHashToDataURL } from './vendor/thumbhash/thumbhash.js';

function decode(base64) {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return thumbHashToDataURL(bytes);
}

export function placeholderUrl(base64) {
  try {
    return base64 ? decode(base64) : undefined;
  } catch {
    // a malformed hash leaves the average colour the page already set
    return undefined;
  }
}

/**
 * What covers the placeholder: an image's own pixels; a video's poster (shown until it plays),
 * or its first frame when it has no poster. Answers whether that is there now, and calls
 * `done` once when it arrives.
 */
function whenCovered(el, done) {
  if (el instanceof HTMLVideoElement) {
    el.addEventListener('playing', done, { once: true });
    if (!el.poster) {
      if (el.readyState >= 2) return true;
      el.addEventListener('loadeddata', done, { once: true });
      return false;
    }
    const poster = new Image();
    poster.src = el.poster;
    if (poster.complete && poster.naturalWidth > 0) return true;
    poster.addEventListener('load', done, { once: true });
    return false;
  }
  if (el.complete && el.naturalWidth > 0) return true;
  el.addEventListener('load', done, { once: true });
  return false;
}

export function showPlaceholder(el) {
  if (el.dataset.placeholderShown) return;
  el.dataset.placeholderShown = '';
  // Once the picture is there, neither the blur nor the average colour may show through its
  // transparent pixels (a dark average behind a dark drawing on a transparent ground hides it).
  const clear = () => {
    el.style.backgroundImage = '';
    el.style.backgroundColor = '';
  };
  if (whenCovered(el, clear)) {
    clear();
    return;
  }
  const url = placeholderUrl(el.dataset.thumbhash);
  if (url) {
    el.style.backgroundImage = `url("${url}")`;
    el.style.backgroundSize = 'cover';
    el.style.backgroundRepeat = 'no-repeat';
  }
}

/** Shows placeholders for every element with data-thumbhash under root (the document, or a new tile). */
export function applyPlaceholders(root = document) {
  for (const el of root.querySelectorAll('[data-thumbhash]')) showPlaceholder(el);
}
