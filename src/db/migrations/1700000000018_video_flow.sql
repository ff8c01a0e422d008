-- Up Migration
-- A video is processed as a flow of jobs (plan → poster, audio, each rung in pieces → finalize)
-- that any number of workers share. The plan of the current run, and what each finished part
-- left for the joins (an HLS rung's segments, sizes and codec), are kept here: a part's job
-- records itself, and whichever job finishes a rung publishes it. `run` tells a stale job of an
-- earlier run (a re-queued plan) from the current one.
CREATE TABLE video_plans (
  asset_id   uuid PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  run        text NOT NULL,
  plan       jsonb NOT NULL,
  -- rungs whose playlist is published, and whether the asset was made playable
  published  text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE video_parts (
  asset_id   uuid NOT NULL REFERENCES video_plans(asset_id) ON DELETE CASCADE,
  part       text NOT NULL,
  piece      integer NOT NULL,
  result     jsonb NOT NULL,
  done_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, part, piece)
);

-- How far each rendition of a video is (0–100, by name: poster, audio, 360p, …, download.mp4),
-- for insiders; the whole asset's is `progress`.
ALTER TABLE assets ADD COLUMN progress_detail jsonb;

-- Down Migration
ALTER TABLE assets DROP COLUMN progress_detail;
DROP TABLE video_parts;
DROP TABLE video_plans;
