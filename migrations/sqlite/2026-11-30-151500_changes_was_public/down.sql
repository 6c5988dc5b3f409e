DROP INDEX changes_visible;
ALTER TABLE changes DROP COLUMN was_public;
