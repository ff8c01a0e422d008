-- Up Migration
-- keep_location: whether the event keeps where its photos and videos were taken. When false (the
-- default), the worker removes location, serial numbers and owner names from the stored original
-- before anything else, and the private location columns stay empty. assets.sha256 and bytes stay
-- those of the file as uploaded: duplicate detection compares uploads, not what is stored.
-- original_cleaned_at: when the stored original was cleaned (null: stored as uploaded).
ALTER TABLE events ADD COLUMN keep_location boolean NOT NULL DEFAULT false;
ALTER TABLE assets ADD COLUMN original_cleaned_at timestamptz;
-- Positions gathered before the setting existed are kept only where an organiser opts in again.
UPDATE assets SET private_latitude = NULL, private_longitude = NULL, private_altitude = NULL, private_location = NULL
  WHERE private_latitude IS NOT NULL OR private_longitude IS NOT NULL OR private_altitude IS NOT NULL OR private_location IS NOT NULL;

-- Down Migration
ALTER TABLE assets DROP COLUMN original_cleaned_at;
ALTER TABLE events DROP COLUMN keep_location;
