// Upload links, for the event's editors (and admins): mint one (a name, an album or any, how
// many days), show it with a copy button and its QR code for phones, list the event's links
// with their last use, and withdraw one.

import { localized, reasonText } from './upload-text.js';

const DAY_MS = 86_400_000;

/** The server's QR code as SVG elements: parsed as SVG (never as HTML), with anything that could run or load removed. */
function qrElement(svgText, label) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName.toLowerCase() !== 'svg' || doc.querySelector('parsererror')) return null;
  for (const bad of svg.querySelectorAll('script, foreignObject, a, image, use')) bad.remove();
  for (const e of [svg, ...svg.querySelectorAll('*')]) {
    for (const a of [...e.attributes]) if (/^on/i.test(a.name) || /href$/i.test(a.name)) e.removeAttribute(a.name);
  }
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return document.importNode(svg, true);
}

export function initLinks({ call, t, lang, root }) {
  const $ = (id) => document.getElementById(id);
  const form = $('up-mint');
  const albumSelect = $('up-mint-album');
  const list = $('up-links-list');
  const problem = $('up-mint-error');
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  const when = (iso) => (iso ? dates.format(new Date(iso)) : t('upload.links.never'));
  let event = null;

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function albumName(slug) {
    if (!slug) return t('upload.links.anyAlbum');
    const a = event.albums?.find((x) => x.slug === slug);
    return a ? localized(a.title, lang, event.defaultLocale) || slug : slug;
  }

  async function load() {
    const forEvent = event;
    let body;
    try {
      body = await call(`/api/v1/events/${encodeURIComponent(forEvent.slug)}/upload-links`);
    } catch (err) {
      say(reasonText(t, err.body ?? err.message));
      return;
    }
    if (forEvent !== event) return; // another event was chosen meanwhile
    const links = body?.links ?? [];
    $('up-links-none').hidden = links.length > 0;
    list.replaceChildren(...links.map(item));
  }

  function fact(term, value) {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    div.append(dt, dd);
    return div;
  }

  function item(link) {
    const li = document.createElement('li');
    li.className = 'up-link';
    const name = document.createElement('p');
    name.className = 'up-link-name';
    const strong = document.createElement('strong');
    strong.textContent = link.label || '—';
    name.append(strong, ` · ${albumName(link.album)}`);
    const dl = document.createElement('dl');
    dl.className = 'up-link-facts';
    dl.append(fact(t('upload.links.created'), when(link.createdAt)), fact(t('upload.links.expires'), when(link.expiresAt)), fact(t('upload.links.lastUsed'), when(link.lastUsedAt)));
    li.append(name, dl);
    if (link.revokedAt) {
      li.dataset.revoked = 'true';
      const p = document.createElement('p');
      p.className = 'up-help';
      p.textContent = `${t('upload.links.revoked')} (${when(link.revokedAt)})`;
      li.append(p);
    } else {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'up-button up-secondary';
      revoke.textContent = t('upload.links.revoke');
      revoke.setAttribute('aria-label', `${t('upload.links.revoke')}: ${link.label || albumName(link.album)}`);
      revoke.addEventListener('click', async () => {
        if (!window.confirm(t('upload.links.confirmRevoke'))) return;
        revoke.disabled = true;
        try {
          await call(`/api/v1/upload-links/${encodeURIComponent(link.id)}`, { method: 'DELETE' });
          say('');
        } catch (err) {
          say(reasonText(t, err.body ?? err.message) || t('upload.links.failed'));
        }
        await load();
      });
      li.append(revoke);
    }
    return li;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!event) return;
    const days = Number($('up-mint-days').value);
    const label = $('up-mint-label').value.trim();
    const album = albumSelect.value;
    const body = { expiresAt: new Date(Date.now() + days * DAY_MS).toISOString(), ...(label && { label }), ...(album && { album }) };
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const link = await call(`/api/v1/events/${encodeURIComponent(event.slug)}/upload-links`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      say('');
      $('up-minted-url').value = link.url;
      $('up-copied').textContent = '';
      const qr = link.qrSvg ? qrElement(link.qrSvg, t('upload.links.qr')) : null;
      $('up-qr').replaceChildren(...(qr ? [qr] : []));
      $('up-minted').hidden = false;
      $('up-minted-url').focus();
      $('up-minted-url').select();
      form.reset();
      await load();
    } catch (err) {
      say(reasonText(t, err.body ?? err.message) || t('upload.links.failed'));
    } finally {
      submit.disabled = false;
    }
  });

  $('up-copy').addEventListener('click', async () => {
    const input = $('up-minted-url');
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      // no clipboard API (plain http on another host): the selection and the older command
      input.select();
      document.execCommand('copy');
    }
    $('up-copied').textContent = t('upload.links.copied');
  });

  return {
    show(next) {
      event = next;
      root.hidden = false;
      $('up-minted').hidden = true;
      const any = albumSelect.options[0];
      albumSelect.replaceChildren(any, ...(next.albums ?? []).map((a) => {
        const o = document.createElement('option');
        o.value = a.slug;
        o.textContent = albumName(a.slug);
        return o;
      }));
      void load();
    },
  };
}
