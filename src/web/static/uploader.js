// The uploader page: finds the credential (the link's #token=…, this browser's storage, or a
// pasted link), asks the API who it belongs to, and sets up the event, album and caption
// language; upload-queue.js sends the files and upload-links.js mints links for editors.

import { t as say } from './strings.js';
import { parseCredential, localized, pick, reasonText } from './upload-text.js';
import { createQueue } from './upload-queue.js';
import { initLinks } from './upload-links.js';

/** Where the credential is kept so that a reload (or a phone that dropped the tab) keeps working. */
const STORAGE_KEY = 'lamha.upload.token';

const root = document.getElementById('uploader');
const lang = document.documentElement.lang || 'en';
/** A page string; undefined for a key the page lacks (reasonText then falls back). */
const t = (key) => say(key, undefined);
const $ = (id) => document.getElementById(id);

function stored() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}
function store(token) {
  try {
    if (token) localStorage.setItem(STORAGE_KEY, token);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // private browsing without storage: the link works until the tab is closed
  }
}

/** The token from the address bar's fragment, which is then removed so it is not bookmarked, shared or shown over a shoulder. */
function fromFragment() {
  if (!location.hash.includes('token=')) return null;
  const token = parseCredential(location.hash);
  history.replaceState(history.state, '', location.pathname + location.search);
  return token;
}

function api(token) {
  return async (path, init = {}) => {
    const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers, authorization: `Bearer ${token}` } });
    let body = null;
    if (res.status !== 204) body = await res.json().catch(() => null);
    if (!res.ok) throw Object.assign(new Error(body?.message ?? `HTTP ${res.status}`), { status: res.status, body });
    return body;
  };
}

const status = $('up-status');
function showStatus(text, problem = false) {
  status.textContent = text;
  status.classList.toggle('up-problem', problem);
}

function askForLink(message) {
  $('up-session').hidden = true;
  $('up-links').hidden = true;
  const form = $('up-link-form');
  form.hidden = false;
  if (message) showStatus(message, true);
  else showStatus('');
}

let queue = null;

async function begin(token) {
  $('up-link-form').hidden = true;
  showStatus(t('upload.checking'));
  const call = api(token);
  let me;
  try {
    me = await call('/api/v1/me');
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      // refused for good: a reload should ask for a new link, not try this one again
      store(null);
      askForLink(t('upload.refused'));
      return;
    }
    showStatus(err.status ? reasonText(t, err.body ?? err.message) : t('upload.unreachable'), true);
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'up-button';
    retry.textContent = t('upload.retryCheck');
    retry.addEventListener('click', () => { retry.remove(); void begin(token); });
    status.append(' ', retry);
    window.addEventListener('online', () => { if (retry.isConnected) { retry.remove(); void begin(token); } }, { once: true });
    return;
  }
  store(token);
  showStatus('');
  showSession(me, token, call);
}

function option(value, text, langOf) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  if (langOf) o.lang = langOf;
  return o;
}

function showSession(me, token, call) {
  const events = me.events ?? [];
  const eventSelect = $('up-event');
  const albumSelect = $('up-album');
  const langSelect = $('up-caption-lang');
  eventSelect.replaceChildren(...events.map((e) => option(e.slug, localized(e.title, lang, e.defaultLocale) || e.slug)));
  $('up-event-field').hidden = events.length < 2;
  $('up-link-name').textContent = me.label ? t('upload.linkName').replace('{label}', me.label) : '';
  $('up-expires').textContent = me.expiresAt
    ? t('upload.expires').replace('{date}', new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(me.expiresAt)))
    : '';

  const current = () => events.find((e) => e.slug === eventSelect.value) ?? events[0];
  let links = null;

  function showEvent() {
    const event = current();
    const drop = $('up-drop');
    if (!event) {
      // a token for no event at all (an admin before the first event exists)
      $('up-event-title').textContent = '';
      $('up-no-albums').hidden = false;
      drop.hidden = true;
      return;
    }
    $('up-event-title').replaceChildren(inLanguage(event.title, event.slug, event.defaultLocale));
    const albums = event.albums ?? [];
    const albumTitle = (a) => localized(a.title, lang, event.defaultLocale) || a.slug;
    if (me.album) {
      const fixed = albums.find((a) => a.slug === me.album);
      const [before, after = ''] = t('upload.albumFixed').split('{album}');
      $('up-album-fixed').replaceChildren(before, inLanguage(fixed?.title, me.album, event.defaultLocale), after);
      $('up-album-fixed').hidden = false;
      $('up-album-field').hidden = true;
      albumSelect.replaceChildren(option(me.album, fixed ? albumTitle(fixed) : me.album));
    } else {
      albumSelect.replaceChildren(...albums.map((a) => option(a.slug, albumTitle(a))));
      $('up-album-field').hidden = albums.length === 0;
      $('up-album-fixed').hidden = true;
    }
    const canUpload = Boolean(me.album) || albums.length > 0;
    $('up-no-albums').hidden = canUpload;
    drop.hidden = !canUpload;

    // Captions are written in the page's language when the event has it; otherwise in one of
    // the event's languages, which the photographer picks (the event's default first).
    const locales = event.locales?.length ? event.locales : [event.defaultLocale];
    const own = locales.includes(lang);
    const names = new Intl.DisplayNames([lang], { type: 'language', fallback: 'code' });
    langSelect.replaceChildren(...locales.map((l) => option(l, nativeName(l) ?? names.of(l) ?? l, l)));
    langSelect.value = own ? lang : event.defaultLocale;
    $('up-lang-field').hidden = locales.length < 2 && own;
    $('up-lang-note').hidden = own;

    if (me.canMintLinks) {
      links ??= initLinks({ call, t, lang, root: $('up-links') });
      links.show(event);
    }
  }

  eventSelect.onchange = showEvent;
  showEvent();
  $('up-session').hidden = false;

  queue?.destroy();
  queue = createQueue({
    t,
    lang,
    endpoint: root.dataset.endpoint,
    token,
    call,
    target: () => ({ event: current()?.slug, album: albumSelect.value, locale: langSelect.value }),
    list: $('up-list'),
    total: { box: $('up-total'), progress: $('up-total-progress'), text: $('up-total-text') },
    announce: announcer($('up-announce')),
  });
  wirePickers(queue);
}

/** A title as an isolated run of text marked with its own language (an Arabic album name on an English page reads right). */
function inLanguage(map, slug, fallback) {
  const found = pick(map, lang, fallback);
  const bdi = document.createElement('bdi');
  bdi.textContent = found?.text ?? slug;
  if (found && found.lang !== lang) bdi.lang = found.lang;
  return bdi;
}

/** The language's own name from the language switcher, which lists Lamha's languages as they call themselves. */
function nativeName(tag) {
  const a = document.querySelector(`.languages a[lang="${CSS.escape(tag)}"]`);
  return a?.textContent?.trim() || null;
}

function announcer(region) {
  let timer;
  return (text) => {
    // emptied first, so that the same words twice are announced twice
    region.textContent = '';
    clearTimeout(timer);
    timer = setTimeout(() => { region.textContent = text; }, 100);
  };
}

let pickersWired = false;
function wirePickers(q) {
  if (pickersWired) return;
  pickersWired = true;
  const files = $('up-files');
  const folder = $('up-folder');
  $('up-pick-files').addEventListener('click', () => files.click());
  $('up-pick-folder').addEventListener('click', () => folder.click());
  for (const input of [files, folder]) {
    input.addEventListener('change', () => {
      queue?.add([...input.files]);
      input.value = '';
    });
  }
  const drop = $('up-drop');
  // A file dropped beside the zone would make the browser leave the page to show it.
  for (const type of ['dragover', 'drop']) document.addEventListener(type, (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
  drop.addEventListener('dragenter', () => drop.classList.add('up-over'));
  drop.addEventListener('dragleave', (e) => { if (!drop.contains(e.relatedTarget)) drop.classList.remove('up-over'); });
  drop.addEventListener('drop', async (e) => {
    drop.classList.remove('up-over');
    queue?.add(await droppedFiles(e.dataTransfer));
  });
}

/** The files of a drop, folders included (read through the entries API, in batches as it answers). */
async function droppedFiles(dt) {
  const entries = [...(dt.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length === 0) return [...(dt.files ?? [])];
  const out = [];
  async function walk(entry) {
    if (entry.isFile) {
      out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e);
      }
    }
  }
  for (const e of entries) await walk(e);
  return out;
}

function init() {
  root.hidden = false;
  $('up-link-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = parseCredential($('up-token').value);
    if (!token) {
      showStatus(t('upload.refused'), true);
      $('up-token').focus();
      return;
    }
    $('up-token').value = '';
    void begin(token);
  });
  $('up-forget').addEventListener('click', () => {
    queue?.destroy();
    queue = null;
    store(null);
    askForLink('');
    $('up-token').focus();
  });
  const token = fromFragment() ?? stored();
  if (token) void begin(token);
  else askForLink('');
}

init();
