-- Up Migration
-- Per event, "uploads wait for approval": while `moderation` is on, a new upload is stored
-- hidden and awaiting approval, so every public output (which already leaves hidden assets out)
-- leaves it out too, until an editor approves it (both flags cleared) or deletes it.
ALTER TABLE events ADD COLUMN moderation boolean NOT NULL DEFAULT false;
ALTER TABLE assets ADD COLUMN awaiting_approval boolean NOT NULL DEFAULT false;
-- awaiting implies hidden: an asset can never be public while it waits
ALTER TABLE assets ADD CONSTRAINT assets_awaiting_is_hidden CHECK (NOT awaiting_approval OR hidden);
CREATE INDEX assets_awaiting_approval ON assets (event_id, created_at) WHERE awaiting_approval;

-- Down Migration
DROP INDEX assets_awaiting_approval;
ALTER TABLE assets DROP CONSTRAINT assets_awaiting_is_hidden;
ALTER TABLE assets DROP COLUMN awaiting_approval;
ALTER TABLE events DROP COLUMN moderation;
