/**
 * The Content-Disposition of a document's public PDF: saved (not opened in the site's origin)
 * under the name the page's link gives it. The header is written by `content-disposition`
 * (RFC 6266 with RFC 8187 `filename*`), so an Arabic name arrives whole and a caption's quotes,
 * semicolons or line breaks stay inside the parameter; older clients get an ASCII name.
 */
import { create } from 'content-disposition';
import { PUBLIC_PDF_RENDITION } from '../../media/pdf.js';
import { documentFilename } from '../../web/partials/document.js';
import type { AssetService } from '../../services/assets.js';
import type { EventService } from '../../services/events.js';
import type { Principal } from '../../services/access.js';

export { PUBLIC_PDF_RENDITION };

export async function documentDisposition(
  services: { assets: Pick<AssetService, 'visibleAsset'>; events: Pick<EventService, 'visibleEvent'> },
  p: Principal | null,
  assetId: string,
): Promise<string> {
  const asset = await services.assets.visibleAsset(p, assetId);
  const event = await services.events.visibleEvent(p, asset.eventSlug);
  return create(documentFilename(event, asset), { type: 'attachment', fallback: `${event.slug}-${asset.id.slice(0, 8)}.pdf` });
}
