-- Up Migration
-- Events, albums, assets, renditions and tokens. Multilingual text is jsonb: BCP-47 tag -> string.

CREATE TABLE events (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
  title          jsonb NOT NULL CHECK (jsonb_typeof(title) = 'object'),
  description    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(description) = 'object'),
  starts_on      date NOT NULL,
  ends_on        date NOT NULL,
  venue          text,
  locales        text[] NOT NULL CHECK (cardinality(locales) > 0),
  default_locale text NOT NULL,
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  -- organisers may allow location data to leave the service for one event; off unless set
  share_location boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on >= starts_on),
  CHECK (default_locale = ANY (locales))
);

CREATE TABLE tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- SHA-256 of the bearer secret; the secret itself is never stored
  token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  role         text NOT NULL CHECK (role IN ('admin', 'editor', 'photographer', 'press')),
  event_id     uuid REFERENCES events (id) ON DELETE CASCADE,
  label        text NOT NULL,
  created_by   uuid REFERENCES tokens (id) ON DELETE SET NULL,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- only an admin may hold a token that spans every event
  CHECK (role = 'admin' OR event_id IS NOT NULL)
);
CREATE INDEX tokens_event_idx ON tokens (event_id);

CREATE TABLE albums (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id       uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  slug           text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
  title          jsonb NOT NULL CHECK (jsonb_typeof(title) = 'object'),
  caption        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(caption) = 'object'),
  position       integer NOT NULL DEFAULT 0,
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  cover_asset_id uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, slug)
);

CREATE TABLE assets (
  id                uuid PRIMARY KEY,
  -- RESTRICT: an asset owns objects in storage, so rows are removed by the service that
  -- removes the objects, never silently by a cascade
  event_id          uuid NOT NULL REFERENCES events (id) ON DELETE RESTRICT,
  album_id          uuid NOT NULL REFERENCES albums (id) ON DELETE RESTRICT,
  kind              text NOT NULL CHECK (kind IN ('image', 'video', 'document')),
  mime_type         text NOT NULL,
  status            text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
  bytes             bigint NOT NULL CHECK (bytes > 0),
  sha256            bytea NOT NULL CHECK (octet_length(sha256) = 32),
  original_filename text NOT NULL,
  uploaded_by       uuid REFERENCES tokens (id) ON DELETE SET NULL,
  caption           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(caption) = 'object'),
  alt_text          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(alt_text) = 'object'),
  credit            text,
  license           text,
  width             integer CHECK (width > 0),
  height            integer CHECK (height > 0),
  duration_ms       bigint CHECK (duration_ms >= 0),
  captured_at       timestamptz,
  -- the capture's own UTC offset, e.g. '+03:00', when the file tells it
  captured_offset   text,
  placeholder       text,
  -- public-safe technical metadata (camera, lens, exposure); never location
  metadata          jsonb NOT NULL DEFAULT '{}',
  hidden            boolean NOT NULL DEFAULT false,
  position          integer NOT NULL DEFAULT 0,
  progress          smallint CHECK (progress BETWEEN 0 AND 100),
  error             text,
  -- private: never serialised to anyone but the service itself
  private_latitude  double precision,
  private_longitude double precision,
  private_altitude  double precision,
  private_location  jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, sha256)
);
CREATE INDEX assets_album_order_idx ON assets (album_id, position, id);
CREATE INDEX assets_processing_idx ON assets (status) WHERE status = 'processing';

ALTER TABLE albums
  ADD CONSTRAINT albums_cover_fk FOREIGN KEY (cover_asset_id) REFERENCES assets (id) ON DELETE SET NULL;

CREATE TABLE renditions (
  asset_id   uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._/-]*$'),
  key        text NOT NULL UNIQUE,
  width      integer,
  height     integer,
  bytes      bigint NOT NULL CHECK (bytes >= 0),
  type       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, name)
);

-- Down Migration
DROP TABLE renditions;
ALTER TABLE albums DROP CONSTRAINT albums_cover_fk;
DROP TABLE assets;
DROP TABLE albums;
DROP TABLE tokens;
DROP TABLE events;
