/** Object keys are built here and only here, from server-generated ids. */

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RENDITION_NAME = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/;

function checkId(assetId: string): string {
  if (!UUID.test(assetId)) throw new TypeError(`not an asset id: ${assetId}`);
  return assetId;
}

/** The top-level folders of the bucket, each holding one key or folder per asset (or upload) id. */
export const TOP_PREFIXES = { originals: 'originals/', renditions: 'renditions/', press: 'press/', uploads: 'uploads/' } as const;

export function originalKey(assetId: string): string {
  return `${TOP_PREFIXES.originals}${checkId(assetId)}`;
}

/** Press files, made on request (services/press.ts): never served as renditions are. */
export function pressPrefix(assetId: string): string {
  return `${TOP_PREFIXES.press}${checkId(assetId)}/`;
}

export function pressKey(assetId: string, fingerprint: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(fingerprint)) throw new TypeError(`not a press file fingerprint: ${fingerprint}`);
  return pressPrefix(assetId) + fingerprint;
}

export function renditionPrefix(assetId: string): string {
  return `${TOP_PREFIXES.renditions}${checkId(assetId)}/`;
}

/** Subtitle tracks live beside the renditions but are uploaded by people, not made by a processor. */
export function subtitlePrefix(assetId: string): string {
  return `${renditionPrefix(assetId)}subtitles/`;
}

export function renditionKey(assetId: string, name: string): string {
  if (!RENDITION_NAME.test(name) || name.includes('..')) throw new TypeError(`not a rendition name: ${name}`);
  return renditionPrefix(assetId) + name;
}

/** Content types of the parts of an HLS rendition (`hls/…`), by their extension. */
export const HLS_PART_TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
};

export const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** What a resumable (tus) upload keeps besides the original's multipart upload. */
export function resumablePrefix(uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) throw new TypeError(`not an upload id: ${uploadId}`);
  return `${TOP_PREFIXES.uploads}${uploadId}/`;
}

/** The bytes after a resumable upload's last whole part. */
export function resumableRestKey(uploadId: string): string {
  return `${resumablePrefix(uploadId)}rest`;
}
