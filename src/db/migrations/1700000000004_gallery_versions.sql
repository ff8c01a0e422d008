-- Up Migration
-- The gallery's change versions live in PostgreSQL, bumped in the transaction of the change
-- itself: a page cache keyed on them is invalidated by the commit, whatever Redis does after it
-- (a failed bump, or a Redis that restarted empty and would count from 0 again). No foreign
-- key: the row of a deleted event stays, so the site's sum never goes back to a past value.

CREATE TABLE gallery_versions (
  event_id uuid PRIMARY KEY,
  version bigint NOT NULL
);

-- Down Migration
DROP TABLE gallery_versions;
