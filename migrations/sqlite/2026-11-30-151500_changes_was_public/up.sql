-- Whether the item was public before the write. Anonymous readers of the feed
-- see an entry only when the item was public before or after it (`public`), so
-- drafts and scheduled items stay hidden while an unpublishing still reaches mirrors.
ALTER TABLE changes ADD COLUMN was_public BOOLEAN NOT NULL DEFAULT 0;
UPDATE changes SET was_public = COALESCE((
    SELECT p.public FROM changes p
    WHERE p.resource = changes.resource AND p.item_id = changes.item_id AND p.seq < changes.seq
    ORDER BY p.seq DESC LIMIT 1), 0);
-- Anonymous feed reads seek the next visible entry instead of walking hidden ones.
CREATE INDEX changes_visible ON changes (seq) WHERE public OR was_public;
