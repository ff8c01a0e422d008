/**
 * An album in the console (`/{locale}/admin/e/:event/:album`): details per language, publish,
 * delete with confirmation, and its items — captions side by side, order, cover, bulk actions —
 * all plain forms answered with a redirect back (POST, then GET); `/order` also takes the drag
 * and drop script's JSON. Rights are the services': the session's principal is the request's.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../errors.js';
import { canCurate, demand } from '../../services/access.js';
import type { BulkAction } from '../../services/bulk.js';
import { albumStrings } from '../../web/locales/admin/album.js';
import { albumDeletePage, albumPage } from '../../web/admin/pages/album.js';
import { adminHref } from '../../web/admin/context.js';
import { pageOf, type AreaOptions } from './area.js';
import { field, fields, localized, localizedChange, type Form } from './form.js';
import { sendAdminPage } from './respond.js';

const HIDDEN = { schema: { hide: true } };
interface AlbumParams { event: string; album: string }

const albums: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  const { events, assets, bulk } = app.services;
  const t = albumStrings.translator(locale);
  const load = (request: FastifyRequest<{ Params: AlbumParams }>) => events.visibleAlbum(request.principal, request.params.event, request.params.album);
  const back = (request: FastifyRequest<{ Params: AlbumParams }>, query = '') =>
    `${adminHref({ locale }, `e/${encodeURIComponent(request.params.event)}/a/${encodeURIComponent(request.params.album)}`)}${query}`;
  const items = async (request: FastifyRequest<{ Params: AlbumParams }>) => {
    const { event, album } = await load(request);
    // the console shows the album to its curators only (services let every insider read it)
    demand(request.principal, canCurate(request.principal, event.id), 'curate this event');
    return { event, album, items: (await assets.page(request.principal, album, undefined, 5000)).items };
  };

  app.get<{ Params: AlbumParams; Querystring: { missing?: string; saved?: string; done?: string } }>('/e/:event/a/:album', HIDDEN, async (request, reply) => {
    const { event, album, items: list } = await items(request);
    const q = request.query;
    const notice = q.saved !== undefined ? t('album.saved', { n: Number(q.saved) || 0 }) : q.done !== undefined ? t('album.bulkDone', { n: Number(q.done) || 0 }) : undefined;
    const ctx = pageOf(request, reply, locale, `e/${event.slug}/a/${album.slug}`);
    return sendAdminPage(reply, locale, albumPage(ctx, { event, album, albums: await events.albums(request.principal, event), items: list, missingOnly: q.missing === '1', notice }));
  });

  app.post<{ Params: AlbumParams; Body: Form }>('/e/:event/a/:album/details', HIDDEN, async (request, reply) => {
    const { event } = await load(request);
    await events.updateAlbum(request.principal, event.slug, request.params.album, {
      title: localized(request.body, 'title', event.locales),
      caption: localized(request.body, 'caption', event.locales),
    });
    return reply.redirect(back(request), 303);
  });

  app.post<{ Params: AlbumParams; Body: Form }>('/e/:event/a/:album/status', HIDDEN, async (request, reply) => {
    const status = field(request.body, 'status');
    if (status !== 'published' && status !== 'draft') throw new ValidationError('status must be published or draft');
    await events.updateAlbum(request.principal, request.params.event, request.params.album, { status });
    return reply.redirect(back(request), 303);
  });

  app.get<{ Params: AlbumParams }>('/e/:event/a/:album/delete', HIDDEN, async (request, reply) => {
    const { event, album } = await items(request);
    return sendAdminPage(reply, locale, albumDeletePage(pageOf(request, reply, locale, `e/${event.slug}/a/${album.slug}/delete`), event, album));
  });

  app.post<{ Params: AlbumParams }>('/e/:event/a/:album/delete', HIDDEN, async (request, reply) => {
    await events.deleteAlbum(request.principal, request.params.event, request.params.album);
    return reply.redirect(adminHref({ locale }, `e/${encodeURIComponent(request.params.event)}`), 303);
  });

  // The items form: "Save all" (the default button, so Enter in a field saves), Move up/down, Make cover, or the bulk action.
  app.post<{ Params: AlbumParams; Body: Form }>('/e/:event/a/:album/items', HIDDEN, async (request, reply) => {
    const form = request.body;
    const p = request.principal;
    const { event, album, items: list } = await items(request);
    const keepFilter = field(form, 'missing') === '1' ? '?missing=1' : '';
    const move = /^([0-9a-f-]{36}):(up|down)$/.exec(field(form, 'move'));
    if (move) {
      const i = list.findIndex((a) => a.id === move[1]);
      if (i < 0) throw new ValidationError('No such item in this album');
      await assets.edit(p, move[1]!, { position: Math.max(0, i + (move[2] === 'up' ? -1 : 1)) });
      return reply.redirect(`${back(request, keepFilter)}#item-${move[1]}`, 303);
    }
    const cover = field(form, 'cover');
    if (cover !== '') {
      await events.updateAlbum(p, event.slug, album.slug, { coverAssetId: cover });
      return reply.redirect(`${back(request, keepFilter)}#item-${cover}`, 303);
    }
    // one item hidden (a participant's request) or shown again, without selecting it first
    for (const [name, hidden] of [['hide', true], ['unhide', false]] as const) {
      const id = field(form, name);
      if (id === '') continue;
      await assets.edit(p, id, { hidden });
      return reply.redirect(`${back(request, keepFilter)}#item-${id}`, 303);
    }
    if (field(form, 'intent') === 'bulk') {
      const action = bulkAction(form);
      const { count } = await bulk.apply(p, event.slug, fields(form, 'select'), action);
      return reply.redirect(back(request, `?done=${count}`), 303);
    }
    let changed = 0;
    for (const a of list) {
      const credit = form[`credit.${a.id}`] === undefined ? undefined : field(form, `credit.${a.id}`).trim() || null;
      const license = form[`license.${a.id}`] === undefined ? undefined : field(form, `license.${a.id}`) || null;
      const edit = {
        caption: localizedChange(form, `caption.${a.id}`, event.locales, a.caption),
        altText: localizedChange(form, `alt.${a.id}`, event.locales, a.altText),
        credit: credit === undefined || credit === a.credit ? undefined : credit,
        license: license === undefined || license === a.license ? undefined : license,
      };
      if (Object.values(edit).every((v) => v === undefined)) continue;
      await assets.edit(p, a.id, edit);
      changed++;
    }
    // the inline save (static/admin-order.js) sends one field and asks for JSON
    if ((request.headers.accept ?? '').includes('application/json')) return reply.header('cache-control', 'no-store').send({ changed });
    return reply.redirect(back(request, `${keepFilter ? `${keepFilter}&` : '?'}saved=${changed}`), 303);
  });

  // Drag and drop's new order: JSON from the script (`{order: [ids]}`), or a form field of ids.
  app.post<{ Params: AlbumParams; Body: Form | { order?: unknown } }>('/e/:event/a/:album/order', HIDDEN, async (request, reply) => {
    const raw = (request.body as { order?: unknown }).order;
    const order = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : [];
    const { moved } = await bulk.order(request.principal, request.params.event, request.params.album, order);
    if ((request.headers.accept ?? '').includes('application/json')) return reply.header('cache-control', 'no-store').send({ moved });
    return reply.redirect(back(request), 303);
  });

  // Thumbnails for the console: the /media URL is for the public (and bearer tokens), while
  // an organiser sees drafts and hidden items with the session.
  app.get<{ Params: { asset: string } }>('/media/:asset', HIDDEN, async (request, reply) => {
    const r = await assets.rendition(request.principal, request.params.asset, 'thumb.webp');
    return reply.header('cache-control', 'private, no-store').header('content-type', r.type).send(await app.storage.get(r.key));
  });
};

function bulkAction(form: Form): BulkAction {
  const action = field(form, 'bulkAction');
  switch (action) {
    case 'hide': case 'unhide': case 'delete': return { action };
    case 'move': return { action, album: field(form, 'bulkAlbum') };
    case 'credit': return { action, credit: field(form, 'bulkCredit').trim() || null };
    case 'license': return { action, license: field(form, 'bulkLicense') || null };
    default: throw new ValidationError(`Unknown action "${action}"`);
  }
}

export default albums;
