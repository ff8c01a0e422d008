// The video player: HLS where the browser plays it natively, hls.js where it has Media Source
// Extensions, and the MP4 (already the page's <source>) everywhere else or when HLS fails.
// Adds subtitle tracks in every language (the page's language shown by default), the poster's
// thumbhash placeholder, and a scrub bar that previews frames from the storyboard sprite.

import { showPlaceholder } from './placeholders.js';
import { pageLocale } from './strings.js';
import { ensureOwnStyles } from './styles.js';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

function parseTime(s) {
  const parts = s.trim().split(':').map(Number);
  return parts.reduce((acc, n) => acc * 60 + n, 0);
}

/**
 * Cues of a storyboard WebVTT: each `start --> end` followed by `sprite.jpg#xywh=x,y,w,h`,
 * resolved against the VTT's own URL.
 */
export function parseStoryboard(text, base) {
  const cues = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
    const timing = lines.findIndex((l) => l.includes('-->'));
    const target = lines[timing + 1];
    if (timing < 0 || !target) continue;
    const [from, to] = lines[timing].split('-->');
    const m = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(target);
    if (!m) continue;
    cues.push({ start: parseTime(from), end: parseTime(to.trim().split(/\s+/)[0]), url: new URL(m[1], base).href, x: +m[2], y: +m[3], w: +m[4], h: +m[5] });
  }
  return cues;
}

function formatTime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hh ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

function addTracks(video, subtitles, lang) {
  const present = new Set([...video.querySelectorAll('track')].map((t) => t.srclang));
  for (const s of subtitles) {
    if (!s?.src || !s.srclang || present.has(s.srclang)) continue;
    const track = document.createElement('track');
    track.kind = 'subtitles';
    track.srclang = s.srclang;
    track.label = s.label || s.srclang;
    track.src = s.src;
    video.append(track);
    present.add(s.srclang);
  }
  const tracks = [...video.querySelectorAll('track')];
  let chosen = tracks.find((t) => t.default);
  if (!chosen) {
    chosen = tracks.find((t) => t.srclang === lang) ?? tracks.find((t) => t.srclang.split('-')[0] === lang.split('-')[0]);
    if (chosen) chosen.default = true;
  }
  if (!chosen) return;
  // Tracks added by script are not reliably picked by the default-track rule (Chromium turns
  // on others too when the metadata arrives), so the choice is applied now and once more then;
  // after that the visitor's own choice in the controls stands.
  const apply = () => {
    for (const t of tracks) t.track.mode = t === chosen ? 'showing' : 'disabled';
  };
  apply();
  video.addEventListener('loadedmetadata', apply, { once: true });
}

function scrubBar(video, cues) {
  ensureOwnStyles();
  const bar = document.createElement('div');
  bar.className = 'player-scrub';
  // Pointer-only enhancement: the native controls remain the accessible way to seek.
  bar.setAttribute('aria-hidden', 'true');
  bar.innerHTML = '<div class="player-scrub-track"><div class="player-scrub-fill"></div></div><div class="player-preview" hidden><span class="player-preview-time"></span></div>';
  const fill = bar.querySelector('.player-scrub-fill');
  const preview = bar.querySelector('.player-preview');
  const label = bar.querySelector('.player-preview-time');
  video.after(bar);

  const duration = () => (Number.isFinite(video.duration) && video.duration > 0 ? video.duration : (cues.at(-1)?.end ?? 0));
  const fraction = (e) => {
    const r = bar.getBoundingClientRect();
    return r.width ? Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) : 0;
  };
  const show = (e) => {
    const time = fraction(e) * duration();
    const cue = cues.find((c) => time >= c.start && time < c.end) ?? cues.at(-1);
    if (!cue) return;
    const width = bar.getBoundingClientRect().width;
    preview.style.width = `${cue.w}px`;
    preview.style.height = `${cue.h}px`;
    preview.style.backgroundImage = `url("${cue.url}")`;
    preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    preview.style.left = `${Math.min(Math.max(0, fraction(e) * width - cue.w / 2), Math.max(0, width - cue.w))}px`;
    label.textContent = formatTime(time);
    preview.hidden = false;
  };
  let dragging = false;
  const seek = (e) => {
    const d = duration();
    if (d) video.currentTime = fraction(e) * d;
  };
  const onTime = () => {
    const d = duration();
    fill.style.width = d ? `${(video.currentTime / d) * 100}%` : '0';
  };
  bar.addEventListener('pointermove', (e) => {
    show(e);
    if (dragging) seek(e);
  });
  bar.addEventListener('pointerleave', () => {
    if (!dragging) preview.hidden = true;
  });
  bar.addEventListener('pointerdown', (e) => {
    dragging = true;
    bar.setPointerCapture(e.pointerId);
    show(e);
    seek(e);
  });
  const end = () => {
    dragging = false;
    preview.hidden = true;
  };
  bar.addEventListener('pointerup', end);
  bar.addEventListener('pointercancel', end);
  video.addEventListener('timeupdate', onTime);
  video.addEventListener('durationchange', onTime);
  return { remove: () => { video.removeEventListener('timeupdate', onTime); video.removeEventListener('durationchange', onTime); bar.remove(); } };
}

/**
 * Enhances a <video>: options (or the element's data-hls, data-mp4, data-storyboard) name the
 * sources; `subtitles` is [{srclang, label, src}]. Answers {pause, destroy}. The element's
 * data-engine tells which way it plays: native-hls, hls.js or mp4.
 */
export function enhancePlayer(video, options = {}) {
  if (video.lamhaPlayer) return video.lamhaPlayer;
  const { lang } = pageLocale();
  const hlsUrl = options.hls ?? video.dataset.hls;
  const sourceMp4 = video.querySelector('source[type="video/mp4"]');
  const mp4 = options.mp4 ?? video.dataset.mp4 ?? sourceMp4?.src;
  const storyboard = options.storyboard ?? video.dataset.storyboard;
  let hls;
  let bar;
  let destroyed = false;

  showPlaceholder(video);
  addTracks(video, options.subtitles ?? [], lang);

  const useMp4 = () => {
    if (destroyed || video.dataset.engine === 'mp4' || !mp4) return;
    hls?.destroy();
    hls = undefined;
    video.dataset.engine = 'mp4';
    const at = video.currentTime;
    const playing = !video.paused;
    // the page's <source> is the MP4: dropping src lets the element pick it again
    if (sourceMp4?.parentNode === video) video.removeAttribute('src');
    else video.src = mp4;
    video.load();
    // the visitor goes on where the stream broke off
    video.addEventListener('loadedmetadata', () => {
      if (at) video.currentTime = at;
      if (playing) video.play().catch(() => {});
    }, { once: true });
  };

  const onNativeError = () => {
    if (video.dataset.engine === 'native-hls') useMp4();
  };

  async function attachHlsJs() {
    const { default: Hls } = await import('./vendor/hls/hls.light.min.mjs');
    if (destroyed) return;
    if (!Hls.isSupported()) {
      video.dataset.engine = 'mp4';
      if (!sourceMp4 && mp4) video.src = mp4;
      return;
    }
    // Segments load once the visitor plays or seeks: slow links should not pay for a video nobody watches.
    hls = new Hls({ autoStartLoad: false, capLevelToPlayerSize: true });
    let started = false;
    const start = () => {
      if (started || !hls) return;
      started = true;
      hls.startLoad(video.currentTime || -1);
    };
    video.addEventListener('play', start);
    video.addEventListener('seeking', start);
    let recovered = false;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
      } else {
        useMp4();
      }
    });
    video.dataset.engine = 'hls.js';
    hls.attachMedia(video);
    hls.loadSource(hlsUrl);
    if (video.autoplay || video.preload === 'auto') start();
  }

  if (hlsUrl && video.canPlayType(HLS_TYPE)) {
    video.dataset.engine = 'native-hls';
    video.addEventListener('error', onNativeError);
    video.src = hlsUrl;
  } else if (hlsUrl && (window.MediaSource || window.ManagedMediaSource)) {
    attachHlsJs().catch(() => useMp4());
  } else if (mp4) {
    video.dataset.engine = 'mp4';
    if (!sourceMp4) video.src = mp4;
  }

  if (storyboard) {
    fetch(storyboard)
      .then((res) => (res.ok ? res.text().then((text) => parseStoryboard(text, res.url)) : []))
      .then((cues) => {
        if (cues.length && !destroyed) bar = scrubBar(video, cues);
      })
      .catch(() => {
        // no previews; the player works without them
      });
  }

  const player = {
    pause: () => video.pause(),
    destroy: () => {
      destroyed = true;
      video.pause();
      video.removeEventListener('error', onNativeError);
      hls?.destroy();
      bar?.remove();
      delete video.lamhaPlayer;
    },
  };
  video.lamhaPlayer = player;
  return player;
}
