import fp from 'fastify-plugin';
import { createAssetService, type AssetService } from '../services/assets.js';
import { createAuditService, type AuditService } from '../services/audit.js';
import { createOperationsService, type OperationsService } from '../services/operations.js';
import { auditedAssets, auditedEvents, auditedOperations, auditedShareLinks, auditedTokens } from '../services/audited.js';
import { createChanges, type Changes } from '../services/changes.js';
import { createEventService, type EventService } from '../services/events.js';
import { createTokenService, type TokenService } from '../services/tokens.js';
import { createUploadService, type UploadService } from '../services/uploads.js';
import { handoffFromConfig } from '../storage/handoff.js';
import { createPressService, type PressService } from '../services/press.js';
import { createArchiveService, type ArchiveService } from '../services/archive.js';
import { createShareLinkService, type ShareLinkService } from '../services/share-links.js';
import { createResumableService, type ResumableService } from '../services/resumable.js';
import { createUploadLinkService, type UploadLinkService } from '../services/upload-links.js';
import { createBulkService, type BulkService } from '../services/bulk.js';
import { createMetadataReader } from '../media/metadata.js';

export interface Services {
  tokens: TokenService;
  events: EventService;
  assets: AssetService;
  uploads: UploadService;
  /** tus uploads: the same ingest as `uploads`, arriving over many requests */
  resumable: ResumableService;
  uploadLinks: UploadLinkService;
  press: PressService;
  archive: ArchiveService;
  shareLinks: ShareLinkService;
  /** one action on many assets (the console's selection) */
  bulk: BulkService;
  /** gallery versions: every change the public could see is written through it */
  changes: Changes;
  /** who did what when; the other services here record their changes in it */
  audit: AuditService;
  /** failed assets and their retry, the queues, an event's dashboard */
  operations: OperationsService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export default fp(async (app) => {
  const { db, storage, queues, config, redis } = app;
  const log = app.log.child({ component: 'services' });
  const changes = createChanges({ db });
  const audit = createAuditService({ db, log });
  const rawAssets = createAssetService({ db, storage, queues, log, changes });
  const rawEvents = createEventService({ db, deleteAsset: rawAssets.deleteAsset, changes });
  // what the API and the console call: each change also written to the audit log
  const assets = auditedAssets(rawAssets, audit);
  const events = auditedEvents(rawEvents, audit);
  const one = async (sql: string, value: string) => (await db.query<{ id: string | null }>(sql, [value])).rows[0]?.id ?? null;
  // exiftool for press files and uploaded JPEGs' heads; its processes start on first use
  const metadata = createMetadataReader({ timeoutMs: 120_000, maxProcs: 2 });
  app.addHook('onClose', () => metadata.close());
  const press = createPressService({ db, storage, metadata, log, tools: { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, timeoutMs: 600_000 } });
  // each uploaded photo also left for a worker sharing this directory; what none took goes after the TTL
  const handoff = handoffFromConfig(config.handoff);
  if (handoff) {
    const sweep = () => void handoff.sweep().catch((err: unknown) => log.warn({ err }, 'could not sweep the hand-off directory'));
    sweep();
    const timer = setInterval(sweep, Math.min(config.handoff.ttlMs, 5 * 60_000));
    timer.unref();
    app.addHook('onClose', () => clearInterval(timer));
  }
  const uploads = createUploadService({ db, storage, queues, events, maxBytes: config.uploadMaxBytes, maxPixels: config.imageMaxPixels, log, changes, metadata, handoff,
    video: { maxSeconds: config.videoMaxSeconds, maxPixels: config.videoMaxPixels, ffprobePath: config.ffprobePath } });
  const tokens = auditedTokens(createTokenService({ db }), audit, {
    eventOfSlug: (slug) => one('SELECT id FROM events WHERE slug = $1', slug),
    eventOfToken: (id) => one('SELECT event_id AS id FROM tokens WHERE id::text = $1', id),
  });
  const services: Services = {
    tokens,
    uploadLinks: createUploadLinkService({ db, events, tokens, publicUrl: config.publicUrl }),
    events,
    assets,
    changes,
    uploads,
    resumable: createResumableService({ db, storage, uploads, events, log, maxBytes: config.uploadMaxBytes, expiryMs: config.resumableExpiryMs, handoff }),
    press,
    archive: createArchiveService({ db, storage, press, events, log }),
    shareLinks: auditedShareLinks(createShareLinkService({ db, events }), audit, (id) => one('SELECT event_id AS id FROM share_links WHERE id::text = $1', id)),
    audit,
    bulk: createBulkService({ db, assets, events }),
    operations: auditedOperations(createOperationsService({ db, queues, assets, events, changes }), audit),
  };
  app.decorate('services', services);
}, { name: 'lamha-services', dependencies: ['lamha-infra'] });
