ALTER TABLE changes DROP COLUMN was_public;
