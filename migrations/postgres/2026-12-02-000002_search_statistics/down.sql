-- SQLite only (the vocabulary of its FTS5 search tables); PostgreSQL's planner keeps its own
-- statistics of the trigram indexes. Kept so that both trees have the same migrations.
SELECT 1;
