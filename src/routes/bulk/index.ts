/** `POST /api/v1/events/:event/assets/bulk`: one action on many assets of an event (what the console's selection does). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LICENSE_IDS } from '../../licenses.js';
import { BULK_MAX, type BulkAction } from '../../services/bulk.js';
import { errorRefs } from '../common.js';
import { EventParams } from '../events/schemas.js';

const Ids = Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: BULK_MAX, description: 'assets of the event; all must exist, or nothing is done' });

const BulkBody = Type.Union([
  Type.Object({ ids: Ids, action: Type.Union([Type.Literal('hide'), Type.Literal('unhide'), Type.Literal('delete')]) }, { additionalProperties: false }),
  Type.Object({ ids: Ids, action: Type.Literal('move'), album: Type.String({ description: 'slug of an album of the event' }) }, { additionalProperties: false }),
  Type.Object({ ids: Ids, action: Type.Literal('credit'), credit: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]) }, { additionalProperties: false }),
  Type.Object({ ids: Ids, action: Type.Literal('license'), license: Type.Union([Type.Null(), ...LICENSE_IDS.map((id) => Type.Literal(id))]) }, { additionalProperties: false }),
]);

const bulk: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/events/:event/assets/bulk', {
    schema: {
      tags: ['assets'],
      summary: 'one action on many assets of the event: hide, unhide, delete, move (to "album"), credit, license',
      security: [{ bearer: [] }],
      params: EventParams,
      body: BulkBody,
      response: { 200: Type.Object({ count: Type.Integer() }), ...errorRefs(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { ids, ...action } = request.body;
    return app.services.bulk.apply(request.principal, request.params.event, ids, action as BulkAction);
  });
};

export default bulk;
