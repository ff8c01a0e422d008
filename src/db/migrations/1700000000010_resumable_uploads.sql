-- Up Migration
-- A token may be fixed to one album (an upload link for a day's album, say); `link` marks the
-- photographer tokens that were handed out as upload links, so they can be listed as such.
ALTER TABLE tokens ADD COLUMN album_id uuid REFERENCES albums (id) ON DELETE CASCADE;
ALTER TABLE tokens ADD COLUMN link boolean NOT NULL DEFAULT false;

-- tus uploads in progress. The bytes go straight into an S3 multipart upload of the original's
-- key (originals/<asset_id>): every committed part is listed here with the SHA-256 state after
-- it, so a resumed upload continues the hash where the last one stopped, on any API process.
-- Bytes after the last whole part wait in one object, uploads/<id>/rest, until more arrive.
CREATE TABLE resumable_uploads (
  id           text PRIMARY KEY,
  -- the asset this upload becomes; reserved at creation so the object's key is known from the start
  asset_id     uuid NOT NULL UNIQUE,
  event_id     uuid REFERENCES events (id) ON DELETE SET NULL,
  album_id     uuid REFERENCES albums (id) ON DELETE SET NULL,
  token_id     uuid REFERENCES tokens (id) ON DELETE SET NULL,
  length       bigint NOT NULL CHECK (length > 0),
  received     bigint NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= length),
  filename     text NOT NULL,
  caption      text,
  locale       text,
  -- the first bytes, kept until the type is decided from them (and for the video limits after)
  head         bytea NOT NULL DEFAULT '',
  mime_type    text,
  kind         text CHECK (kind IN ('image', 'video', 'document')),
  part_size    integer NOT NULL,
  multipart_id text,
  parts        jsonb NOT NULL DEFAULT '[]',
  rest_bytes   integer NOT NULL DEFAULT 0,
  hash_state   bytea,
  sha256       bytea,
  -- receiving → received (every byte stored) → done (the asset exists, or it was a duplicate);
  -- a refused file's row is deleted with its bytes
  state        text NOT NULL DEFAULT 'receiving' CHECK (state IN ('receiving', 'received', 'done')),
  result_id    uuid,
  duplicate    boolean,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX resumable_uploads_state_idx ON resumable_uploads (state, expires_at);

-- Down Migration
DROP TABLE resumable_uploads;
ALTER TABLE tokens DROP COLUMN link;
ALTER TABLE tokens DROP COLUMN album_id;
