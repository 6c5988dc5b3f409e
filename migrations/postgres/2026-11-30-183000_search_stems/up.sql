-- Russian stemming on SQLite (issue 16) changed only the SQLite index; PostgreSQL
-- stems Russian with its `russian` text search configuration already.
SELECT 1;
