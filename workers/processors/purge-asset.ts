/**
 * Removes every object of an asset whose row is gone. Queued when storage failed at delete
 * time; idempotent (deleting what is already gone succeeds).
 */
import type { Job } from 'bullmq';
import type { JobPayloads } from '../../src/queues/jobs.js';
import { originalKey, pressPrefix, renditionPrefix } from '../../src/storage/keys.js';
import type { ProcessorDeps } from './registry.js';

export async function purgeAsset(job: Job<JobPayloads['purge-asset']>, { db, storage }: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const { rows } = await db.query('SELECT 1 FROM assets WHERE id = $1', [assetId]);
  // The id came back (a re-upload reuses nothing, but be safe): never delete a live asset's objects.
  if (rows.length > 0) return 'skipped: asset exists';
  await storage.delete(originalKey(assetId));
  const removed = await storage.deletePrefix(renditionPrefix(assetId));
  const press = await storage.deletePrefix(pressPrefix(assetId));
  return `removed original, ${removed} renditions and ${press} press files`;
}
