import { renditionUrl } from '../../services/urls.js';
import { LICENSE_IDS } from '../../licenses.js';
import { assetCreditLine, effectiveLicense } from '../../services/credit.js';
import { Type } from 'typebox';
import type { AssetWithMedia } from '../../db/assets.js';
import { canCurate, type Principal } from '../../services/access.js';
import { TEXT_MAX_CHARS } from '../../services/uploads.js';
import { Localized, Slug } from '../common.js';
import { SubtitleLink, subtitleLinks } from '../subtitles/schemas.js';

export const AssetParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const Rendition = Type.Object({
  url: Type.String(),
  width: Type.Union([Type.Integer(), Type.Null()]),
  height: Type.Union([Type.Integer(), Type.Null()]),
  type: Type.String(),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/**
 * What the worker read from the file and may be shown: a photo's camera, lens, exposure and
 * IPTC/XMP text, a video's codecs. Only the properties named here are ever sent; location is
 * not among them and never stored with them.
 */
const FileMetadata = Type.Object({
  camera: Type.Optional(Type.Object({ make: Nullable(Type.String()), model: Nullable(Type.String()) })),
  lens: Type.Optional(Type.String()),
  exposure: Type.Optional(Type.Object({
    exposureTime: Nullable(Type.String({ description: 'seconds, as photographers write it: "1/200", "2"' })),
    fNumber: Nullable(Type.Number()),
    iso: Nullable(Type.Number()),
    focalLength: Nullable(Type.Number({ description: 'millimetres' })),
  })),
  headline: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  copyright: Type.Optional(Type.String()),
  keywords: Type.Optional(Type.Array(Type.String())),
  video: Type.Optional(Type.Object({
    codec: Nullable(Type.String()),
    frameRate: Nullable(Type.Number()),
    bitDepth: Nullable(Type.Integer()),
    hdr: Nullable(Type.Boolean()),
  })),
  audio: Type.Optional(Nullable(Type.Object({ codec: Nullable(Type.String()) }))),
  pages: Type.Optional(Type.Integer({ description: 'documents: how many pages the PDF has' })),
}, { description: 'read from the file by the worker; empty until the asset is ready' });

export const AssetView = Type.Object({
  id: Type.String(),
  event: Type.String(),
  album: Type.String(),
  kind: Type.Union([Type.Literal('image'), Type.Literal('video'), Type.Literal('document')]),
  type: Type.String({ description: 'media type decided from the content' }),
  status: Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  durationMs: Nullable(Type.Integer()),
  capturedAt: Nullable(Type.String({ description: 'the moment of capture (UTC); without a known offset, the camera\'s clock reading taken as UTC' })),
  capturedOffset: Nullable(Type.String({ description: 'the capture\'s UTC offset, "+02:00", only as the file states it (never derived from GPS); null when unknown. With capturedAt it gives the local time' })),
  metadata: FileMetadata,
  caption: Localized,
  altText: Localized,
  credit: Nullable(Type.String()),
  license: Nullable(Type.String({ description: 'the licence set on the asset (an id of GET /api/v1/licenses), or null for the event\'s default' })),
  effectiveLicense: Nullable(Type.Object({
    id: Nullable(Type.String()), short: Type.String(), name: Type.String(), url: Nullable(Type.String()),
  }, { description: 'the licence that applies (the asset\'s, else the event\'s default), named in the event\'s default language' })),
  creditLine: Nullable(Type.String({ description: 'the credit as the event\'s credit template writes it; null without a credit' })),
  placeholder: Nullable(Type.String()),
  hidden: Type.Boolean(),
  awaitingApproval: Type.Optional(Type.Boolean({ description: 'insiders only: uploaded while its event\'s uploads wait for approval, and not approved yet (then also hidden)' })),
  position: Type.Integer(),
  renditions: Type.Record(Type.String(), Rendition),
  subtitles: Type.Record(Type.String(), SubtitleLink, { description: 'subtitle tracks of a video, by locale' }),
  createdAt: Type.String(),
  // A fingerprint of the original: whoever holds a photographer's phone or backup could match it
  // to the published photo. Insiders only, like the filename.
  bytes: Type.Optional(Type.Integer({ description: 'size of the original as uploaded; admins, the event\'s editors and the uploader only' })),
  sha256: Type.Optional(Type.String({ description: 'SHA-256 of the original as uploaded, hex; admins, the event\'s editors and the uploader only' })),
  originalFilename: Type.Optional(Type.String({ description: 'admins, the event\'s editors and the uploader only' })),
  error: Type.Optional(Nullable(Type.String())),
  progress: Type.Optional(Nullable(Type.Integer())),
  /** a video's progress per rendition (poster, audio, 360p, …, download.mp4), 0–100 */
  progressByRendition: Type.Optional(Nullable(Type.Record(Type.String(), Type.Integer()))),
});

const LocalizedPatch = Type.Record(
  Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' }),
  // null first: with type coercion on, a string branch tried first would turn null into ""
  Type.Union([Type.Null(), Type.String({ maxLength: TEXT_MAX_CHARS.caption })]),
  { description: 'merged per locale: text replaces that locale\'s, null removes it, locales not named are kept' },
);

export const PatchAssetBody = Type.Object({
  caption: Type.Optional(LocalizedPatch),
  altText: Type.Optional(LocalizedPatch),
  credit: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: TEXT_MAX_CHARS.credit })])),
  license: Type.Optional(Type.Union([Type.Null(), ...LICENSE_IDS.map((id) => Type.Literal(id))], { description: 'a licence id (GET /api/v1/licenses); null: the event\'s default' })),
  album: Type.Optional(Slug),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'place in the album, 0 first (past the end: last); the others keep their order around it. New uploads come first.' })),
  hidden: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const UploadReply = Type.Object({
  assets: Type.Array(Type.Object({
    id: Type.String(),
    status: Type.String(),
    duplicate: Type.Boolean(),
  })),
});

export function assetView(a: AssetWithMedia, p: Principal | null, publicUrl: string) {
  const renditions = Object.fromEntries(a.renditions.map((r) => [r.name, {
    url: renditionUrl(publicUrl, r), width: r.width, height: r.height, type: r.type,
  }]));
  const view = {
    id: a.id,
    event: a.eventSlug,
    album: a.albumSlug,
    kind: a.kind,
    type: a.mimeType,
    status: a.status,
    width: a.width,
    height: a.height,
    durationMs: a.durationMs,
    capturedAt: a.capturedAt?.toISOString() ?? null,
    capturedOffset: a.capturedOffset,
    metadata: a.metadata,
    caption: a.caption,
    altText: a.altText,
    credit: a.credit,
    license: a.license,
    effectiveLicense: effectiveLicense(a.license, a.eventDefaultLicense, a.eventDefaultLocale),
    creditLine: assetCreditLine(a),
    placeholder: a.placeholder,
    hidden: a.hidden,
    position: a.position,
    renditions,
    subtitles: subtitleLinks(publicUrl, a.subtitles),
    createdAt: a.createdAt.toISOString(),
  };
  const curator = canCurate(p, a.eventId);
  const owner = p !== null && p.tokenId === a.uploadedBy;
  if (!curator && !owner) return view;
  return {
    ...view, awaitingApproval: a.awaitingApproval, bytes: a.bytes, sha256: a.sha256.toString('hex'), originalFilename: a.originalFilename, error: a.error, progress: a.progress,
    progressByRendition: a.progressDetail,
  };
}
