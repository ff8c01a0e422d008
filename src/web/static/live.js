// Live album: new items appear at the top of the open grid while the event goes on (each where a
// reload would show it). The server sends `asset.ready` events (Server-Sent Events); the tile's
// HTML comes from the page's own tile route, so it is rendered exactly like the rest of the grid.
// EventSource reconnects by itself.

import { applyPlaceholders } from './placeholders.js';
import { ensureOwnStyles } from './styles.js';
import { reducedMotion, t } from './strings.js';

function statusRegion(grid) {
  let region = document.getElementById('lamha-live-status');
  if (!region) {
    ensureOwnStyles();
    region = document.createElement('p');
    region.id = 'lamha-live-status';
    region.className = 'lamha-live-status';
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    grid.before(region);
  }
  return region;
}

export function initLive(grid) {
  const liveUrl = grid.dataset.liveUrl;
  const tileUrl = grid.dataset.tileUrl;
  const albumId = grid.dataset.albumId;
  if (!liveUrl || !tileUrl || !albumId || !window.EventSource) return undefined;
  // New items belong at the top of the album's first page; later pages keep their place.
  if (Number(new URLSearchParams(location.search).get('page') ?? '1') > 1) return undefined;

  const region = statusRegion(grid);
  const announce = (text) => {
    // cleared first, so the same words said twice are announced twice
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 50);
  };
  const pending = new Set();

  // The tile's place in the album (data-place, 1-based): a new upload is first; an item that
  // became ready late (a long video) goes where a reload would show it. One that belongs on a
  // later page is left to that page.
  function place(tile) {
    const index = Number(tile.dataset.place) - 1;
    const tiles = grid.querySelectorAll(':scope > li.tile');
    const next = tiles[index >= 0 ? index : 0];
    if (next) next.before(tile);
    else if (!document.querySelector('a[rel="next"]')) grid.append(tile);
    else return false;
    return true;
  }

  async function insert(assetId) {
    if (document.getElementById(`a-${assetId}`) || pending.has(assetId)) return;
    pending.add(assetId);
    try {
      const res = await fetch(tileUrl.replace('{assetId}', encodeURIComponent(assetId)), { headers: { accept: 'text/html' } });
      if (!res.ok) return;
      const template = document.createElement('template');
      template.innerHTML = await res.text();
      const tile = template.content.querySelector('.tile');
      if (!tile || document.getElementById(`a-${assetId}`)) return;
      if (!place(tile)) return;
      if (!reducedMotion()) tile.classList.add('tile--new');
      applyPlaceholders(tile);
      grid.dispatchEvent(new CustomEvent('lamha:tile-added', { detail: { assetId, tile } }));
      announce(t('live.newItem', 'New item'));
    } catch {
      // the next event, or a reload, brings it
    } finally {
      pending.delete(assetId);
    }
  }

  const source = new EventSource(liveUrl);
  let wasOpen = false;
  source.addEventListener('open', () => {
    if (grid.dataset.live === 'reconnecting') region.textContent = '';
    grid.dataset.live = 'open';
    wasOpen = true;
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CONNECTING && wasOpen && grid.dataset.live !== 'reconnecting') {
      grid.dataset.live = 'reconnecting';
      announce(t('live.reconnecting', 'Reconnecting…'));
    } else if (source.readyState === EventSource.CLOSED) {
      grid.dataset.live = 'closed';
    }
  });
  source.addEventListener('asset.ready', (e) => {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    if (data?.albumId === albumId && typeof data.assetId === 'string') void insert(data.assetId);
  });
  return source;
}
