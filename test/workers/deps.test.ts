/**
 * The process-wide settings a worker process applies when it builds its processors' deps.
 */
import sharp from 'sharp';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { WORKER_SHARP_THREADS } from '../../src/media/images.js';
import { createProcessorDeps } from '../../workers/deps.js';
import type { ProcessorDeps } from '../../workers/processors/registry.js';

t.test('building the worker deps sets libvips to one thread per image, whatever sharp chose from the environment', async (t) => {
  const before = sharp.concurrency();
  t.teardown(() => {
    sharp.concurrency(before);
  });
  // what sharp picks by itself when MALLOC_ARENA_MAX is set, as the worker's scripts set it
  sharp.concurrency(2);
  t.equal(sharp.concurrency(), 2);

  // createProcessorDeps only carries these along; none of them is used while it builds
  const carried = {} as Pick<ProcessorDeps, 'db' | 'storage' | 'queues' | 'log' | 'publisher'>;
  const deps = createProcessorDeps(loadConfig({}), carried);
  t.teardown(() => deps.close());

  t.equal(WORKER_SHARP_THREADS, 1);
  t.equal(sharp.concurrency(), WORKER_SHARP_THREADS);
});
