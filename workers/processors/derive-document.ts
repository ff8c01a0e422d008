/**
 * derive-document: a PDF into its public copy (`document.pdf`, without metadata), the renditions
 * of its first page (as a photo's: thumb, medium, large, JPEG fallback, placeholder), previews
 * of the next pages and its page count. Every image is rendered from the public copy, so the
 * previews show what the download holds. Idempotent and failure-handled as derive-image is.
 */
import type { Job } from 'bullmq';
import { findAssetToProcess } from '../../src/db/processing.js';
import { decodableImage } from '../../src/media/decode.js';
import { deriveImage } from '../../src/media/images.js';
import { pagePreviews, PUBLIC_PDF_RENDITION, publicPdf } from '../../src/media/pdf.js';
import { JOB_POLICY, type JobPayloads } from '../../src/queues/jobs.js';
import type { ProcessorDeps } from './registry.js';
import { complete, inWorkDir, isInputFault, progressReporter, QUIET_PROGRESS_MS, recordFailure, spoolOriginal, storeRenditions, type RenditionSource, jobSignal } from './steps.js';

/**
 * Pages shown on the document's page: the first (in every size, as a photo) and the next ones
 * as previews. Enough to see what the document is; the rest is in the download.
 */
export const PREVIEW_PAGES = 4;
/** Long edge of the previews of pages 2 and on: the medium size of a photo. */
const PREVIEW_LONG_EDGE = 1024;

export async function deriveDocumentJob(job: Job<JobPayloads['derive-image']>, deps: ProcessorDeps): Promise<string> {
  const { assetId } = job.data;
  const asset = await findAssetToProcess(deps.db, assetId);
  if (!asset) return 'skipped: the asset no longer exists';
  if (asset.status === 'ready') return 'skipped: already done';

  const signal = jobSignal(deps, JOB_POLICY['derive-image'].timeoutMs);
  const progress = progressReporter(job, deps, assetId, { quietMs: QUIET_PROGRESS_MS });
  const tool = { timeoutMs: deps.settings.toolTimeoutMs, signal };
  try {
    return await inWorkDir('lamha-document-', async (work) => {
      const original = await spoolOriginal(deps, assetId, work, signal);
      await progress(10);
      const pdf = await publicPdf(original, work, tool);
      await progress(30);
      const first = await decodableImage(pdf.path, 'application/pdf', work, { ...tool, maxPixels: deps.settings.imagePixelLimit });
      const derived = await deriveImage(first.path, { pixelLimit: deps.settings.imagePixelLimit });
      await progress(55);
      const previews = await pagePreviews(pdf.path, work, { ...tool, first: 2, last: Math.min(pdf.pages, PREVIEW_PAGES), longEdge: PREVIEW_LONG_EDGE });
      await progress(75);
      const download: RenditionSource = { name: PUBLIC_PDF_RENDITION, type: 'application/pdf', width: null, height: null, data: { file: pdf.path } };
      const renditions = await storeRenditions(deps, assetId, [...derived.renditions, ...previews, download]);
      await progress(90);
      const done = await complete(deps, asset, {
        width: derived.width,
        height: derived.height,
        placeholder: derived.placeholder,
        // nothing of the file's own metadata is public: its title, author and dates stay out
        capturedAt: null,
        capturedOffset: null,
        metadata: { pages: pdf.pages },
        caption: {},
        credit: null,
        license: null,
        location: null,
        renditions,
      });
      return done ? `ready: ${renditions.map((r) => r.name).join(', ')}` : 'skipped: the asset was deleted while it was processed';
    });
  } catch (err) {
    return recordFailure(job, deps, assetId, err, isInputFault(err));
  }
}
