-- Up Migration
-- An event's venue per locale, like its title: "باريس" / "Paris" / "Parîs". A venue written
-- before becomes the text of the event's default locale.

ALTER TABLE events ALTER COLUMN venue TYPE jsonb
  USING CASE WHEN venue IS NULL OR btrim(venue) = '' THEN NULL ELSE jsonb_build_object(default_locale, venue) END;

-- Down Migration
ALTER TABLE events ALTER COLUMN venue TYPE text
  USING COALESCE(venue ->> default_locale, jsonb_path_query_first(venue, '$.*') #>> '{}');
