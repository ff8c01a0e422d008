/** GET /api/v1/licenses: the licences an event or asset can carry, named in every locale, with their pages. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LICENSES } from '../licenses.js';
import { LOCALES } from '../locales.js';

const License = Type.Object({
  id: Type.String(),
  short: Type.String(),
  name: Type.Record(Type.String(), Type.String()),
  url: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
});

const licenses: FastifyPluginAsyncTypebox = async (app) => {
  const body = {
    licenses: LICENSES.map((l) => ({ id: l.id, short: l.short, name: { ...l.name }, url: Object.fromEntries(LOCALES.map((loc) => [loc, l.url(loc)])) })),
  };
  app.get('/api/v1/licenses', {
    schema: { tags: ['events'], summary: 'the licences an event (defaultLicense) or an asset (license) can carry', response: { 200: Type.Object({ licenses: Type.Array(License) }) } },
  }, async () => body);
};

export default licenses;
