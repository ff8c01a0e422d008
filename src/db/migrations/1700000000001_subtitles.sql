-- Up Migration
-- Subtitle tracks of video assets, one per locale; the WebVTT itself is in object storage
-- under renditions/<asset>/subtitles/<locale>.vtt, removed with the asset's other objects.

CREATE TABLE subtitles (
  asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  locale     text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  key        text NOT NULL UNIQUE,
  bytes      bigint NOT NULL CHECK (bytes > 0),
  cue_count  integer NOT NULL CHECK (cue_count > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, locale)
);

-- Down Migration
DROP TABLE subtitles;
