-- Up Migration
-- Who did what when: one row per change made by a token (through the API or the console).
-- Labels are copied in, so an entry still says who it was after the token or the target is
-- gone. `before`/`after` hold the edited text fields only: never image data, never a secret.
CREATE TABLE audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  token_id      text,
  token_label   text,
  role          text,
  event_id      uuid,
  action        text NOT NULL,
  target_kind   text NOT NULL,
  target_id     text,
  target_label  text,
  before        jsonb,
  after         jsonb
);
CREATE INDEX audit_log_event ON audit_log (event_id, id DESC);

-- Down Migration
DROP TABLE audit_log;
