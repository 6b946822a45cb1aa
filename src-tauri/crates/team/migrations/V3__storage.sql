-- Team storage and team-wide dedup (issue 18, s18). Images live in the team's bucket
-- under their sha256; the server keeps what a teammate's library needs to serve an
-- identical request (`meta`) and when every image of a generation reached the bucket.

ALTER TABLE generations ADD COLUMN meta JSONB;
ALTER TABLE generations ADD COLUMN published_at TIMESTAMPTZ;
-- A generation served from a teammate's result: which one (for the saving's trail).
ALTER TABLE generations ADD COLUMN reused_from TEXT REFERENCES generations(id);
ALTER TABLE generation_images ADD COLUMN bytes BIGINT;

-- Dedup looks up published results by request; catch-up pages through them by time.
CREATE INDEX generations_published_request ON generations (request_hash, published_at DESC)
    WHERE published_at IS NOT NULL;
CREATE INDEX generations_published_project ON generations (project_id, published_at, id)
    WHERE published_at IS NOT NULL;
-- The outbox: this machine's closed generations not published yet.
CREATE INDEX generations_unpublished ON generations (machine_id)
    WHERE published_at IS NULL AND status = 'closed';
