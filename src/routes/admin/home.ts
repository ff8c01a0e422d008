/** `/{locale}/admin`: the overview, the events the organiser looks after. */
import type { FastifyPluginAsync } from 'fastify';
import { canCurate } from '../../services/access.js';
import { homePage } from '../../web/admin/pages/home.js';
import { sendAdminPage } from './respond.js';
import { pageOf, type AreaOptions } from './area.js';

const home: FastifyPluginAsync<AreaOptions> = async (app, { locale }) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const events = (await app.services.events.list(request.principal)).filter((e) => canCurate(request.principal, e.id));
    return sendAdminPage(reply, locale, homePage(pageOf(request, reply, locale, ''), events));
  });
};

export default home;
