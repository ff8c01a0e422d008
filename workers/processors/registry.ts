/**
 * Job name → processor. A queue is consumed by a process only when it has processors here.
 */
import type { Job } from 'bullmq';
import type { Db } from '../../src/db/database.js';
import type { Log } from '../../src/log.js';
import type { JobName } from '../../src/queues/jobs.js';
import type { Queues } from '../../src/queues/producer.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { purgeAsset } from './purge-asset.js';

export interface ProcessorDeps {
  db: Db;
  storage: ObjectStore;
  queues: Queues;
  log: Log;
}

export type Processor = (job: Job, deps: ProcessorDeps) => Promise<unknown>;

export const PROCESSORS: Partial<Record<JobName, Processor>> = {
  'purge-asset': purgeAsset as Processor,
};
