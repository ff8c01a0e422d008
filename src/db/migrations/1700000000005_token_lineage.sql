-- Up Migration
-- bootstrap: the token made from ADMIN_TOKEN at start-up; a new configured value retires the old one.
-- last_used_at: written at most once a minute per token, so an admin can tell a forgotten token.
ALTER TABLE tokens ADD COLUMN bootstrap boolean NOT NULL DEFAULT false;
ALTER TABLE tokens ADD COLUMN last_used_at timestamptz;
UPDATE tokens SET bootstrap = true WHERE label = 'ADMIN_TOKEN' AND created_by IS NULL AND role = 'admin';
-- revocation and the check-time walk up the lineage follow created_by
CREATE INDEX tokens_created_by_idx ON tokens (created_by);

-- Down Migration
DROP INDEX tokens_created_by_idx;
ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE tokens DROP COLUMN bootstrap;
