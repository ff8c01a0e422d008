import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Multipart } from '@fastify/multipart';
import type { UploadPart } from '../../services/uploads.js';
import { errorRefs } from '../common.js';
import { AlbumParams } from '../events/schemas.js';
import { AssetParams, AssetView, PatchAssetBody, UploadReply, assetView } from './schemas.js';

const assets: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/events/:event/albums/:album/assets', {
    schema: {
      tags: ['assets'],
      summary: 'upload one or more files (multipart/form-data, parts named "file"; optional fields caption, locale, credit, license)',
      consumes: ['multipart/form-data'],
      security: [{ bearer: [] }],
      params: AlbumParams,
      response: { 201: UploadReply, ...errorRefs(400, 401, 403, 404, 413, 415) },
    },
  }, async (request, reply) => {
    const parts = toUploadParts(request.parts());
    const uploaded = await app.services.uploads.ingest(request.principal, request.params.event, request.params.album, parts);
    return reply.code(201).send({ assets: uploaded });
  });

  app.get('/api/v1/assets/:id', {
    schema: { tags: ['assets'], summary: 'an asset', params: AssetParams, response: { 200: AssetView, ...errorRefs(401, 404) } },
  }, async (request) => {
    const asset = await app.services.assets.get(request.principal, request.params.id);
    return assetView(asset, request.principal, app.config.publicUrl);
  });

  app.patch('/api/v1/assets/:id', {
    schema: {
      tags: ['assets'],
      summary: 'edit an asset: captions and alt text (merged per locale), credit, licence, album, position, hidden; the uploader may edit captions and alt text of its own uploads',
      security: [{ bearer: [] }],
      params: AssetParams,
      body: PatchAssetBody,
      response: { 200: AssetView, ...errorRefs(400, 401, 403, 404) },
    },
  }, async (request) => {
    const asset = await app.services.assets.edit(request.principal, request.params.id, request.body);
    return assetView(asset, request.principal, app.config.publicUrl);
  });

  app.delete('/api/v1/assets/:id', {
    schema: { tags: ['assets'], summary: 'delete an asset and every object it owns', security: [{ bearer: [] }], params: AssetParams, response: { ...errorRefs(401, 403, 404) } },
  }, async (request, reply) => {
    await app.services.assets.remove(request.principal, request.params.id);
    return reply.code(204).send();
  });
};

async function* toUploadParts(parts: AsyncIterableIterator<Multipart>): AsyncGenerator<UploadPart> {
  for await (const part of parts) {
    if (part.type === 'file') {
      yield { type: 'file', field: part.fieldname, filename: part.filename, stream: part.file };
    } else {
      yield { type: 'field', field: part.fieldname, value: typeof part.value === 'string' ? part.value : String(part.value) };
    }
  }
}

export default assets;
