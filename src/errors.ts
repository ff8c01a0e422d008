/**
 * Every LAMHA_* error code, grouped by area, each with its HTTP status. Routes, services and
 * the media adapters throw these (an adapter translates a tool's failure into one at its edge);
 * the error handler in app.ts turns them into {statusCode, code, error, message}, and gives the
 * codes at the end of this file to errors that are not ours.
 */
import createError from '@fastify/error';

// Requests
export const ValidationError = createError<[string]>('LAMHA_VALIDATION', '%s', 400);
export const NotFoundError = createError<[string]>('LAMHA_NOT_FOUND', '%s', 404);
export const ConflictError = createError<[string]>('LAMHA_CONFLICT', '%s', 409);
export const UnsupportedMediaTypeError = createError<[string]>('LAMHA_UNSUPPORTED_MEDIA_TYPE', '%s', 415);
export const RangeNotSatisfiableError = createError<[string]>('LAMHA_RANGE_NOT_SATISFIABLE', '%s', 416);

// Auth
export const UnauthorizedError = createError('LAMHA_UNAUTHORIZED', 'A valid bearer token is required', 401);
export const ForbiddenError = createError<[string]>('LAMHA_FORBIDDEN', '%s', 403);

// Uploads
export const NoFileError = createError('LAMHA_NO_FILE', 'The request holds no file part named "file"', 400);
export const EmptyFileError = createError<[string]>('LAMHA_EMPTY_FILE', 'The file "%s" is empty', 400);
export const TooLargeError = createError<[number]>('LAMHA_TOO_LARGE', 'The file is larger than the limit of %d bytes', 413);
export const UnsupportedTypeError = createError<[message: string, options?: { cause: unknown }]>('LAMHA_UNSUPPORTED_TYPE', '%s', 415);
export const PixelLimitError = createError<[number, number, number]>('LAMHA_PIXEL_LIMIT', 'The image is %d×%d pixels, more than the limit of %d', 422);
export const VideoTooLongError = createError<[number, number]>('LAMHA_VIDEO_TOO_LONG', 'The video lasts %d s, longer than the limit of %d s', 422);
export const VideoTooLargeError = createError<[number, number, number]>('LAMHA_VIDEO_TOO_LARGE', 'The video frame is %d×%d pixels, more than the limit of %d', 422);
export const PrivateMetadataError = createError<[reason: string]>('LAMHA_PRIVATE_METADATA', 'Location, serial numbers or owner names could not be removed from the file (%s), and this event does not keep them: the file was not kept', 422);
export const UndecodableError = createError<[reason: string, options?: { cause: unknown }]>('LAMHA_UNDECODABLE', 'The file cannot be decoded: %s', 422);

// Resumable (tus) uploads
export const UploadExpiredError = createError('LAMHA_UPLOAD_EXPIRED', 'This upload expired unfinished and what was sent of it is deleted; start the file again', 410);
/** another breach of the tus protocol; the status is tus's own (set on the error) */
export const UploadProtocolError = createError<[string]>('LAMHA_UPLOAD_PROTOCOL', '%s', 400);
export const UploadOffsetError = createError<[number, number]>('LAMHA_UPLOAD_OFFSET', 'The upload holds %d bytes, not %d: ask for its offset (HEAD) and continue from there', 409);

// Press links
export const LinkGoneError = createError('LAMHA_LINK_GONE', 'This press link has expired or was withdrawn; ask the organisers for a new one', 410);

// Rates
export const RateLimitedError = createError<[number]>('LAMHA_RATE_LIMITED', 'Too many requests; try again in %d s', 429);

// Subtitles
export const InvalidSubtitlesError = createError<[string]>('LAMHA_INVALID_SUBTITLES', '%s', 400);
export const NotUtf8Error = createError('LAMHA_NOT_UTF8', 'Subtitles must be UTF-8 text; save the file as UTF-8 and send it again', 400);
export const NotVideoError = createError<[string]>('LAMHA_NOT_VIDEO', '%s', 409);

// Dependencies
export const LiveUnavailableError = createError<[string]>('LAMHA_LIVE_UNAVAILABLE', '%s', 503);
export const LiveTooManyError = createError('LAMHA_LIVE_TOO_MANY', 'Too many live streams are open from this address; close one and try again', 429);
export const LiveFullError = createError('LAMHA_LIVE_FULL', 'The server holds as many live streams as it can; try again shortly', 503);
export const StorageUnavailableError = createError<[string]>('LAMHA_STORAGE_UNAVAILABLE', 'Object storage failed: %s', 503);
/** Recorded on an asset by the maintenance sweep when its original is no longer in the bucket. */
export const OriginalMissingError = createError('LAMHA_ORIGINAL_MISSING', 'The original of this file is missing from storage; upload it again', 500);

// Monitoring
export const MetricsUnauthorizedError = createError('LAMHA_METRICS_UNAUTHORIZED', 'The metrics need METRICS_TOKEN or an admin token as Authorization: Bearer', 401);

/**
 * What the error handler answers to errors no code of ours threw (nothing throws these):
 * a body cut off mid-way, the database out of reach (503: try again), another client error of
 * the framework's (with its own 4xx status), and anything else (500, details in the log only).
 */
export const HANDLER_ERRORS = Object.freeze({
  uploadAborted: { code: 'LAMHA_UPLOAD_ABORTED', statusCode: 400, message: 'The upload ended before the multipart body was complete' },
  // PostgreSQL down, restarting or refusing connections (src/db/database.ts isDatabaseUnavailable)
  databaseUnavailable: { code: 'LAMHA_DATABASE_UNAVAILABLE', statusCode: 503 },
  badRequest: { code: 'LAMHA_BAD_REQUEST' },
  internal: { code: 'LAMHA_INTERNAL', statusCode: 500 },
});

/** Fastify's and its plugins' errors for a client's mistakes, answered with our codes. */
export const FRAMEWORK_ERRORS: Readonly<Record<string, { code: string; statusCode: number }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'LAMHA_UNSUPPORTED_MEDIA_TYPE', statusCode: 415 },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { code: 'LAMHA_UNSUPPORTED_MEDIA_TYPE', statusCode: 415 },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'LAMHA_TOO_LARGE', statusCode: 413 },
  FST_REQ_FILE_TOO_LARGE: { code: 'LAMHA_TOO_LARGE', statusCode: 413 },
  FST_PARTS_LIMIT: { code: 'LAMHA_TOO_MANY_PARTS', statusCode: 413 },
  FST_FILES_LIMIT: { code: 'LAMHA_TOO_MANY_PARTS', statusCode: 413 },
  FST_FIELDS_LIMIT: { code: 'LAMHA_TOO_MANY_PARTS', statusCode: 413 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'LAMHA_VALIDATION', statusCode: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'LAMHA_VALIDATION', statusCode: 400 },
  // a console form sent without its CSRF token, or with one not of this session
  FST_CSRF_MISSING_SECRET: { code: 'LAMHA_CSRF', statusCode: 403 },
  FST_CSRF_INVALID_TOKEN: { code: 'LAMHA_CSRF', statusCode: 403 },
};
