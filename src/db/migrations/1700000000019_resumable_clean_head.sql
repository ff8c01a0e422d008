-- Up Migration
-- A tus upload of a JPEG to an event that does not keep locations is stored with its head
-- cleaned as its first part is (see services/resumable.ts): where the uploaded head ended
-- (`head_cut`) and how long the cleaned one is (`head_prefix`), to hash the upload's own bytes
-- back from the stored object; and whether the rest turned out to be scans only
-- (`original_cleaned`), which its asset records.
ALTER TABLE resumable_uploads
  ADD COLUMN head_cut integer,
  ADD COLUMN head_prefix integer,
  ADD COLUMN original_cleaned boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE resumable_uploads DROP COLUMN head_cut, DROP COLUMN head_prefix, DROP COLUMN original_cleaned;
