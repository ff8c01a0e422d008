-- Up Migration
-- A press link for one album: whoever holds its URL downloads the album's press files (or its
-- web-size renditions) without a token, until it expires or is revoked. Only the secret's
-- SHA-256 is stored, as for tokens.
CREATE TABLE share_links (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id     uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  album_id     uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
  hash         bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
  variant      text NOT NULL CHECK (variant IN ('original', 'web')),
  label        text,
  created_by   uuid REFERENCES tokens (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX share_links_album_idx ON share_links (album_id, created_at);

-- Down Migration
DROP TABLE share_links;
