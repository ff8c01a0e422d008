-- Up Migration
-- What a stored original's tags say (capture time, camera, lens, captions, credit…), read by the
-- API in the same exiftool run that checked the JPEG head it cleaned as it stored the file
-- (services/uploads.ts, services/resumable.ts): the worker takes them instead of reading the
-- file again, and clears them once the asset is processed. Never location: it is set only for
-- an original cleaned of it. For a tus upload, kept with the upload until it finishes.
ALTER TABLE assets ADD COLUMN original_tags jsonb;
ALTER TABLE resumable_uploads ADD COLUMN head_tags jsonb;

-- Down Migration
ALTER TABLE resumable_uploads DROP COLUMN head_tags;
ALTER TABLE assets DROP COLUMN original_tags;
