// The files being sent: one row each, a few tus uploads at a time and the rest waiting, then the
// asset's processing followed until it is ready (with its thumbnail) or failed (with the reason).
//
// Network loss: tus-js-client retries on its own while the browser thinks it is online (the
// delays below outlast a minute without Wi-Fi); while the browser knows it is offline it gives
// up at once. So when the browser says it went offline, the uploads under way are stopped (a
// request on a vanished network can hang for minutes before it fails), and on 'online' they
// resume from the server's offset. A phone that slept leaves requests hanging: waking
// (visibilitychange) or a minute without progress restarts them. After a reload, picking the same files finds their unfinished uploads
// through tus-js-client's fingerprints in localStorage and resumes them.

import { formatBytes, formatDuration, formatSpeed, rate, reasonText } from './upload-text.js';

/** Uploads at once: enough to fill a slow link, few enough for each to finish and show progress. */
const CONCURRENCY = 3;
/** Before giving up until the next 'online' or a click: 0 + 1 + 3 + 5 + 10 + 20 + 30 + 60 s ≈ two minutes. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
/** Each PATCH carries at most this much, so proxies with a body limit (100 MB at some CDNs) let it through. */
const CHUNK_SIZE = 50 * 1024 * 1024;
/** No progress for this long while uploading: the connection is dead without saying so. */
const STALL_MS = 60_000;
/** How often processing is asked about: at first soon (photos take seconds), then less often (videos take minutes). */
const POLL_MS = [1000, 2000, 2000, 3000, 5000];
/** What a folder brings that is not a photo or video: operating systems' own files. */
const JUNK = /^(\.|Thumbs\.db$|desktop\.ini$)/i;

let rowCount = 0;

export function createQueue({ t, lang, endpoint, token, call, target: targetOf, list, total, announce }) {
  const items = [];
  const timers = new Set();
  let destroyed = false;
  let offlineSaid = false;

  const later = (fn, ms) => {
    const id = setTimeout(() => { timers.delete(id); if (!destroyed) fn(); }, ms);
    timers.add(id);
    return id;
  };

  // ---- rows ----
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(text, className, onClick) {
    const b = el('button', `up-button ${className}`, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function row(item) {
    const n = ++rowCount;
    const li = el('li', 'up-file');
    li.id = `up-f-${n}`;
    const thumb = el('div', 'up-thumb');
    const body = el('div', 'up-body');
    const name = el('p', 'up-name');
    const bdi = el('bdi', '', item.file.webkitRelativePath || item.file.name);
    bdi.id = `up-f-${n}-name`;
    name.append(bdi, ' ', el('span', 'up-size', formatBytes(item.file.size, lang)));
    const progress = el('progress');
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', t('upload.progressOf').replace('{name}', item.file.name));
    const stats = el('p', 'up-stats');
    const state = el('span', 'up-state');
    const speed = el('span', 'up-speed');
    const eta = el('span', 'up-eta');
    stats.append(state, speed, eta);
    const error = el('p', 'up-error');
    error.hidden = true;
    const captionField = el('p', 'up-field up-caption');
    const label = el('label', '', t('upload.caption'));
    const caption = el('input');
    caption.type = 'text';
    caption.id = `up-f-${n}-caption`;
    caption.maxLength = 2000;
    caption.dir = 'auto';
    caption.lang = item.target.locale;
    caption.autocomplete = 'off';
    label.htmlFor = caption.id;
    const saved = el('span', 'up-help');
    saved.setAttribute('role', 'status');
    captionField.append(label, caption, saved);
    body.append(name, progress, stats, error, captionField);
    const actions = el('div', 'up-actions');
    const pause = button(t('upload.pause'), 'up-secondary', () => (item.state === 'paused' ? resume(item) : pauseItem(item)));
    const cancel = button(t('upload.cancel'), 'up-secondary', () => cancelItem(item));
    const retry = button(t('upload.retry'), '', () => retryItem(item));
    retry.hidden = true;
    // the buttons say what they do; which file they do it to is the row's name
    for (const b of [pause, cancel, retry]) b.setAttribute('aria-describedby', bdi.id);
    actions.append(pause, cancel, retry);
    li.append(thumb, body, actions);
    caption.addEventListener('change', () => captionChanged(item));
    item.ui = { li, thumb, progress, state, speed, eta, error, caption, saved, pause, cancel, retry };
    return li;
  }

  const STATE_TEXT = {
    queued: 'upload.state.queued', uploading: 'upload.state.uploading', paused: 'upload.state.paused',
    offline: 'upload.state.offline', processing: 'upload.state.processing', ready: 'upload.state.ready',
    duplicate: 'upload.state.duplicate', failed: 'upload.state.failed', cancelled: 'upload.state.cancelled',
  };
  /** States a screen reader hears about: the ones a photographer acts on or waits for, not every file's turn coming. */
  const ANNOUNCED = new Set(['paused', 'ready', 'duplicate', 'failed', 'cancelled']);

  function setState(item, state, detail) {
    const changed = item.state !== state;
    item.state = state;
    const { li, state: stateEl, pause, cancel, retry, error, speed, eta } = item.ui;
    li.dataset.state = state;
    let text = t(STATE_TEXT[state]);
    if (state === 'processing' && typeof item.processing === 'number') text = t('upload.state.processingPercent').replace('{n}', new Intl.NumberFormat(lang).format(item.processing));
    if (state === 'ready' && item.duplicate) text = t('upload.state.duplicate');
    stateEl.textContent = text;
    error.hidden = !detail;
    error.textContent = detail ?? '';
    const sending = ['queued', 'uploading', 'paused', 'offline'].includes(state);
    pause.hidden = !['queued', 'uploading', 'paused'].includes(state);
    pause.textContent = state === 'paused' ? t('upload.resume') : t('upload.pause');
    cancel.hidden = !sending && state !== 'failed' || (state === 'failed' && !item.retryable);
    retry.hidden = !(state === 'failed' && item.retryable);
    if (state !== 'uploading') { speed.textContent = ''; eta.textContent = ''; }
    if (changed && ANNOUNCED.has(state)) announce(`${item.file.name}: ${detail ? `${text}. ${detail}` : text}`);
    updateTotal();
  }

  // ---- totals ----
  let lastTotal = 0;
  function updateTotal(force = false) {
    const now = performance.now();
    if (!force && now - lastTotal < 200) return;
    lastTotal = now;
    const counted = items.filter((i) => i.state !== 'cancelled');
    total.box.hidden = counted.length === 0;
    const size = counted.reduce((s, i) => s + i.file.size, 0);
    const sent = counted.reduce((s, i) => s + i.sent, 0);
    const done = counted.filter((i) => i.uploaded).length;
    total.progress.value = size > 0 ? Math.floor((sent / size) * 1000) / 10 : 0;
    const speed = counted.filter((i) => i.state === 'uploading').reduce((s, i) => s + rate(i.samples, now), 0);
    const parts = [t('upload.totalCount').replace('{done}', fmt(done)).replace('{total}', fmt(counted.length)), `${formatBytes(sent, lang)} / ${formatBytes(size, lang)}`];
    if (speed > 0) {
      parts.push(formatSpeed(speed, lang));
      const left = counted.filter((i) => !i.uploaded && i.state !== 'failed').reduce((s, i) => s + i.file.size - i.sent, 0);
      parts.push(t('upload.timeLeft').replace('{time}', formatDuration(left / speed, lang)));
    }
    total.text.textContent = parts.join(' · ');
  }
  const fmt = (n) => new Intl.NumberFormat(lang).format(n);

  // ---- sending ----
  function pump() {
    // nothing starts while the browser knows there is no network; 'online' calls again
    if (destroyed || !navigator.onLine) return;
    let active = items.filter((i) => i.state === 'uploading').length;
    for (const item of items) {
      if (active >= CONCURRENCY) break;
      if (item.state === 'queued') {
        active++;
        void send(item);
      }
    }
  }

  function metadata(item) {
    const m = { event: item.target.event, album: item.target.album, filename: item.file.name, filetype: item.file.type || 'application/octet-stream', locale: item.target.locale };
    const caption = item.ui.caption.value.trim();
    if (caption) m.caption = caption;
    return m;
  }

  async function send(item) {
    setState(item, 'uploading');
    item.lastProgress = performance.now();
    if (!item.upload) {
      const meta = metadata(item);
      item.sentCaption = meta.caption ?? '';
      item.upload = new window.tus.Upload(item.file, {
        endpoint,
        retryDelays: RETRY_DELAYS,
        chunkSize: CHUNK_SIZE,
        headers: { Authorization: `Bearer ${token}` },
        metadata: meta,
        removeFingerprintOnSuccess: true,
        onProgress: (sent) => progress(item, sent),
        onAfterResponse: (_req, res) => noteAsset(item, res),
        onSuccess: (payload) => succeeded(item, payload),
        onError: (err) => failed(item, err),
      });
      try {
        // An unfinished upload of this same file (name, type, size, date) to this same album: go on with it.
        const previous = await item.upload.findPreviousUploads();
        const same = previous
          .filter((p) => p.metadata?.event === meta.event && p.metadata?.album === meta.album)
          .sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)))[0];
        if (same) {
          item.upload.resumeFromPreviousUpload(same);
          // that upload carries the caption it was created with; a different one is sent once the asset exists
          item.sentCaption = same.metadata?.caption ?? '';
        }
      } catch {
        // no storage: a new upload
      }
    }
    if (item.state !== 'uploading' || destroyed) return; // paused or cancelled meanwhile
    item.upload.start();
    watch(item);
  }

  function progress(item, sent) {
    const now = performance.now();
    item.sent = sent;
    item.lastProgress = now;
    item.samples.push({ at: now, bytes: sent });
    while (item.samples.length > 2 && now - item.samples[0].at > 10_000) item.samples.shift();
    const { progress: bar, speed, eta } = item.ui;
    bar.value = item.file.size > 0 ? Math.floor((sent / item.file.size) * 1000) / 10 : 100;
    if (item.state === 'offline') setState(item, 'uploading');
    const r = rate(item.samples, now);
    speed.textContent = r > 0 ? formatSpeed(r, lang) : '';
    eta.textContent = r > 0 ? t('upload.timeLeft').replace('{time}', formatDuration((item.file.size - sent) / r, lang)) : '';
    updateTotal();
  }

  /** Lamha names the asset on the response that completes the upload (and on a HEAD of a finished one). */
  function noteAsset(item, res) {
    const id = res.getHeader('Lamha-Asset-Id');
    if (id) {
      item.assetId = id;
      item.ui.li.dataset.assetId = id;
      item.duplicate = res.getHeader('Lamha-Duplicate') === 'true';
    }
  }

  function succeeded(item, payload) {
    if (!item.assetId && payload?.lastResponse) noteAsset(item, payload.lastResponse);
    item.uploaded = true;
    item.sent = item.file.size;
    item.ui.progress.value = 100;
    item.ui.cancel.hidden = true;
    if (!item.assetId) {
      // the server did not say which asset: the file is there, its status cannot be followed
      setState(item, 'processing');
      pump();
      return;
    }
    setState(item, 'processing');
    void saveCaption(item);
    pump();
    poll(item, 0);
  }

  function failed(item, err) {
    if (item.state === 'cancelled' || item.state === 'paused') return;
    const res = err?.originalResponse;
    const status = res?.getStatus?.() ?? 0;
    if (status === 0 && !navigator.onLine) {
      // the browser knows it is offline: wait for it to say it is back
      setState(item, 'offline');
      if (!offlineSaid) { offlineSaid = true; announce(t('upload.state.offline')); }
      pump();
      return;
    }
    let body = null;
    try { body = JSON.parse(res?.getBody?.() ?? ''); } catch { body = null; }
    // a refusal (4xx other than a conflict or lock) will be refused again; anything else may pass later
    item.retryable = !(status >= 400 && status < 500 && status !== 409 && status !== 423);
    if (status === 404 || status === 410) {
      // the unfinished upload is gone on the server: the next attempt starts the file anew
      item.upload = null;
      item.sent = 0;
      item.retryable = true;
    }
    setState(item, 'failed', body ? reasonText(t, body) : status ? reasonText(t, `HTTP ${status}`) : t('upload.unreachable'));
    pump();
  }

  /** A request that hangs without progress (a sleeping phone, a dead access point) is started again. */
  function watch(item) {
    later(() => {
      if (item.state !== 'uploading') return;
      if (performance.now() - item.lastProgress > STALL_MS) restart(item);
      watch(item);
    }, STALL_MS / 4);
  }

  function restart(item) {
    if (!item.upload) return;
    item.lastProgress = performance.now();
    void item.upload.abort(false).then(() => { if (item.state === 'uploading' && !destroyed) item.upload.start(); });
  }

  function pauseItem(item) {
    if (item.state === 'uploading' && item.upload) void item.upload.abort(false);
    setState(item, 'paused');
    pump();
  }

  function resume(item) {
    // a resumed file goes before those that never started
    items.splice(items.indexOf(item), 1);
    const firstQueued = items.findIndex((i) => i.state === 'queued');
    items.splice(firstQueued === -1 ? items.length : firstQueued, 0, item);
    setState(item, 'queued');
    pump();
  }

  function retryItem(item) {
    item.retryable = false;
    setState(item, 'queued');
    pump();
  }

  function cancelItem(item) {
    const upload = item.upload;
    setState(item, 'cancelled');
    item.ui.progress.value = 0;
    // terminate: the server drops what it has of the file (and the browser its resume entry)
    if (upload) void upload.abort(true).catch(() => {});
    pump();
  }

  // ---- after the upload ----
  async function poll(item, attempt) {
    if (destroyed) return;
    let asset;
    try {
      asset = await call(`/api/v1/assets/${encodeURIComponent(item.assetId)}`);
    } catch (err) {
      if (err.status === 404) { setState(item, 'failed', reasonText(t, err.body ?? '')); return; }
      later(() => poll(item, attempt + 1), POLL_MS[Math.min(attempt, POLL_MS.length - 1)]);
      return;
    }
    if (asset.status === 'ready') {
      setState(item, 'ready');
      void showThumb(item, asset);
    } else if (asset.status === 'failed') {
      item.retryable = false;
      setState(item, 'failed', reasonText(t, asset.error ?? ''));
    } else {
      const before = item.processing;
      item.processing = typeof asset.progress === 'number' ? asset.progress : null;
      if (item.state !== 'processing' || before !== item.processing) setState(item, 'processing');
      later(() => poll(item, attempt + 1), POLL_MS[Math.min(attempt, POLL_MS.length - 1)]);
    }
  }

  /** The thumbnail through the API's bearer: an unpublished asset's renditions are not public, and an <img> cannot send the header. */
  async function showThumb(item, asset) {
    const renditions = asset.renditions ?? {};
    const still = renditions['thumb.webp'] ?? Object.values(renditions).filter((r) => /^image\//.test(r.type)).sort((a, b) => (a.width ?? 0) - (b.width ?? 0))[0];
    if (!still) return;
    try {
      const res = await fetch(still.url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      const img = document.createElement('img');
      img.alt = t('upload.thumbAlt').replace('{name}', item.file.name);
      img.src = url;
      img.decoding = 'async';
      item.thumbUrl = url;
      item.ui.thumb.replaceChildren(img);
    } catch {
      // no picture, the words still say it is ready
    }
  }

  function captionChanged(item) {
    // not sent yet: it goes with the upload's metadata
    if (!item.upload) return;
    void saveCaption(item);
  }

  /** A caption typed after the upload began goes to the asset once the server has named it. */
  async function saveCaption(item) {
    const text = item.ui.caption.value.trim();
    if (!item.assetId || text === item.sentCaption) return;
    try {
      await call(`/api/v1/assets/${encodeURIComponent(item.assetId)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ caption: { [item.target.locale]: text === '' ? null : text } }),
      });
      item.sentCaption = text;
      item.ui.saved.textContent = t('upload.captionSaved');
    } catch (err) {
      item.ui.saved.textContent = reasonText(t, err.body ?? err.message);
    }
  }

  // ---- the network and the page coming back ----
  function wake() {
    if (destroyed) return;
    offlineSaid = false;
    for (const item of items) {
      if (item.state === 'offline') setState(item, 'queued');
      else if (item.state === 'failed' && item.retryable && !item.uploaded) setState(item, 'queued');
      else if (item.state === 'uploading' && performance.now() - item.lastProgress > 15_000) restart(item);
    }
    pump();
  }
  const onVisible = () => { if (document.visibilityState === 'visible') wake(); };
  function offline() {
    let stopped = 0;
    for (const item of items) {
      if (item.state !== 'uploading') continue;
      stopped++;
      setState(item, 'offline');
      void item.upload?.abort(false);
    }
    if (stopped > 0 && !offlineSaid) { offlineSaid = true; announce(t('upload.state.offline')); }
  }
  window.addEventListener('online', wake);
  window.addEventListener('offline', offline);
  document.addEventListener('visibilitychange', onVisible);
  // leaving with files still going: the browser asks first (resuming is possible, but only by picking them again)
  const onLeave = (e) => { if (items.some((i) => ['uploading', 'queued', 'offline'].includes(i.state))) e.preventDefault(); };
  window.addEventListener('beforeunload', onLeave);

  return {
    add(files) {
      const target = targetOf();
      if (!target.event || !target.album) return;
      const fresh = files.filter((f) => !JUNK.test(f.name));
      for (const file of fresh) {
        const item = { file, target, state: 'new', sent: 0, samples: [], upload: null, assetId: null, uploaded: false, duplicate: false, retryable: false, processing: null, sentCaption: '' };
        list.append(row(item));
        items.push(item);
        setState(item, 'queued');
      }
      updateTotal(true);
      pump();
    },
    destroy() {
      destroyed = true;
      for (const id of timers) clearTimeout(id);
      window.removeEventListener('online', wake);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('beforeunload', onLeave);
      for (const item of items) if (item.state === 'uploading') void item.upload?.abort(false);
      for (const item of items) if (item.thumbUrl) URL.revokeObjectURL(item.thumbUrl);
      list.replaceChildren();
      total.box.hidden = true;
    },
  };
}
