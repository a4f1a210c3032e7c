-- The request log in two tables, so old rows leave by DROP TABLE (which D1 does not bill
-- per row) instead of DELETE (a row written per row removed): see store/logs.py. The log
-- as it is becomes the old part; a new current table takes new rows, with a plain rowid:
-- AUTOINCREMENT wrote its counter row in sqlite_sequence on every insert, one more row D1
-- billed per batch of log rows. Nothing is copied (a copy would bill every row once), and
-- the old part goes at the next rotation. Ids continue from the old part's newest.
-- Runs once (the d1_migrations ledger, here and on D1): a second run would drop the old part.
DROP TABLE IF EXISTS request_logs_old;
ALTER TABLE request_logs RENAME TO request_logs_old;
CREATE TABLE request_logs (
  id                INTEGER PRIMARY KEY,
  ts                REAL NOT NULL,
  client_key_id     INTEGER,
  key_id            INTEGER,
  method            TEXT NOT NULL,
  endpoint          TEXT NOT NULL,
  model             TEXT,
  stream            INTEGER NOT NULL DEFAULT 0,
  status            INTEGER NOT NULL,
  latency_ms        REAL,
  ttfb_ms           REAL,
  attempts          INTEGER NOT NULL DEFAULT 1,
  error_class       TEXT,
  prompt_tokens     INTEGER,
  completion_tokens INTEGER
);
