-- The request log's budget on D1 (issue 11): the ts index cost a row written per log
-- row, and /api/stats now reads usage_hours instead of scanning the log. Idempotent.
DROP INDEX IF EXISTS request_logs_by_ts;

-- Proxied requests added up per hour, one row per hour (upserted by each batch of
-- finished requests, whether or not they were logged): the dashboard's series and
-- top lists, and the usage not yet folded into keys / client_keys totals.
-- JSON maps: models {"name": [requests, errors, tokens]}; clients and keys
-- {"id": [requests, errors, prompt_tokens, completion_tokens, last_used_at]}.
CREATE TABLE IF NOT EXISTS usage_hours (
  hour              INTEGER PRIMARY KEY,          -- Unix seconds at the start of the UTC hour
  requests          INTEGER NOT NULL DEFAULT 0,
  errors            INTEGER NOT NULL DEFAULT 0,   -- answered with a status >= 400
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms        REAL NOT NULL DEFAULT 0,      -- the sum, for averages
  ttfb_ms           REAL NOT NULL DEFAULT 0,      -- the sum of times to first byte ...
  ttfb_count        INTEGER NOT NULL DEFAULT 0,   -- ... over the requests that had one (answered < 400)
  models            TEXT NOT NULL DEFAULT '{}',
  clients           TEXT NOT NULL DEFAULT '{}',   -- charged requests only
  keys              TEXT NOT NULL DEFAULT '{}',   -- by the upstream key that answered last
  unfolded_clients  TEXT NOT NULL DEFAULT '{}',   -- the part of `clients` not yet in client_keys' totals
  unfolded_keys     TEXT NOT NULL DEFAULT '{}'    -- the part of `keys` not yet in keys' totals
);
