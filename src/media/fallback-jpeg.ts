/**
 * The name of a photo's JPEG fallback — what social cards (og:image, twitter:image), the gallery's
 * download button and a press link's web-size files use — and where to find it on assets made
 * before it had one name. No sharp here: routes, services and pages read it.
 */

/** Object name of the JPEG fallback under renditions/<assetId>/ (≤ 1200 px on the long edge). */
export const FALLBACK_JPEG = 'fallback.jpg';

/**
 * Until December 2026 the fallback was a JPEG of the largest size, named after it: `large.jpg`
 * (2048 px), or `medium.jpg` / `thumb.jpg` for smaller sources. Those assets are not re-derived:
 * their objects and rows stay as they are and are still found here, first match wins.
 */
export const LEGACY_FALLBACK_JPEGS = ['large.jpg', 'medium.jpg', 'thumb.jpg'] as const;

/** An asset's JPEG fallback among its renditions: the current name, else a legacy one. */
export function fallbackJpeg<R extends { name: string }>(renditions: readonly R[]): R | undefined {
  for (const name of [FALLBACK_JPEG, ...LEGACY_FALLBACK_JPEGS]) {
    const found = renditions.find((r) => r.name === name);
    if (found) return found;
  }
  return undefined;
}
