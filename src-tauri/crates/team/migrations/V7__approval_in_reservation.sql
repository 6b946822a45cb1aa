-- Approval folded into the reservation (issue 18): the reservation that claims an
-- approved request names its generation, in the same transaction, so a crash between
-- the claim and the first attempt can be resumed once (the claim moves to a new
-- generation only while the named one ended on the server with nothing charged).
ALTER TABLE approvals ADD COLUMN generation_id TEXT;

-- Thumbnails in the bucket (issue 18): each published image names its thumbnail's
-- object (under `thumbs/`), so a teammate's catch-up downloads it instead of rendering.
ALTER TABLE generation_images ADD COLUMN thumb_sha256 TEXT;
