-- Silicon Key Pool: the full schema. Idempotent: safe to apply on every start.
-- Later changes go in files beside this one named schema_NNNN_<what>.sql (plain name
-- order is the apply order for both `wrangler d1 migrations apply` and the local
-- server), additive only. The local server re-runs every file on each start, so each
-- must be idempotent: guard an ALTER TABLE ADD COLUMN, or recreate-and-copy instead.
-- Do not use `wrangler d1 migrations create`: its names sort before schema.sql.
-- Times are Unix seconds (REAL where sub-second matters). No triggers: D1 counts
-- trigger writes in meta.changes, and imports count inserted rows from it.

CREATE TABLE IF NOT EXISTS config (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Upstream SiliconFlow keys. `status` is what the last check or answer said;
-- `enabled` is the admin's switch (the API shows status "disabled" when 0).
CREATE TABLE IF NOT EXISTS keys (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  key               TEXT NOT NULL UNIQUE,
  status            TEXT NOT NULL DEFAULT 'unchecked'
                    CHECK (status IN ('unchecked', 'valid', 'exhausted', 'invalid')),
  enabled           INTEGER NOT NULL DEFAULT 1,
  balance           REAL,          -- data.totalBalance; NULL = unknown
  gift_balance      REAL,          -- data.balance
  charge_balance    REAL,          -- data.chargeBalance
  added_at          INTEGER NOT NULL,
  checked_at        INTEGER,
  last_used_at      INTEGER,
  last_error        TEXT,
  fail_count        INTEGER NOT NULL DEFAULT 0,
  request_count     INTEGER NOT NULL DEFAULT 0,
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS keys_by_status ON keys (status, enabled);
CREATE INDEX IF NOT EXISTS keys_by_balance ON keys (balance);
CREATE INDEX IF NOT EXISTS keys_by_checked ON keys (checked_at);

-- Per key x model exclusions: rate-limit cooldowns, missing permission,
-- out of balance for paid models. `until` NULL means until cleared.
CREATE TABLE IF NOT EXISTS key_blocks (
  key_id  INTEGER NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  model   TEXT NOT NULL,
  reason  TEXT NOT NULL,
  until   REAL,
  PRIMARY KEY (key_id, model)
);

-- Keys our clients use against /v1. Only a hash is stored; the key is shown once.
CREATE TABLE IF NOT EXISTS client_keys (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT NOT NULL,
  key_hash          TEXT NOT NULL UNIQUE,
  key_hint          TEXT NOT NULL,
  enabled           INTEGER NOT NULL DEFAULT 1,
  created_at        INTEGER NOT NULL,
  expires_at        INTEGER,
  models            TEXT,          -- JSON list; NULL = any model
  rpm_limit         INTEGER,
  request_quota     INTEGER,
  token_quota       INTEGER,
  allow_upstream_key INTEGER NOT NULL DEFAULT 0,  -- may call GET /api/key
  request_count     INTEGER NOT NULL DEFAULT 0,
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  last_used_at      INTEGER
);

-- The request log: new rows in request_logs, the part before it in request_logs_old;
-- old rows leave by dropping the old part (store/logs.py). A plain rowid, not
-- AUTOINCREMENT: that writes its counter in sqlite_sequence on every insert, a row D1
-- bills per batch of log rows. The two tables are alike (schema_0060 splits older logs).
CREATE TABLE IF NOT EXISTS request_logs (
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
CREATE TABLE IF NOT EXISTS request_logs_old (
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
-- No index on ts: D1 bills a row written per index entry, and the log is read by id
-- (pages newest first, pruning from the oldest end). schema_0010 drops the old one.

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

-- A snapshot per key when its balance changes (key_id set), and a daily pool
-- total (key_id NULL, one row per day).
CREATE TABLE IF NOT EXISTS balance_history (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  ts          INTEGER NOT NULL,
  key_id      INTEGER,
  balance     REAL,
  valid_keys  INTEGER,
  day         TEXT
);
CREATE INDEX IF NOT EXISTS balance_history_by_key ON balance_history (key_id, ts);
CREATE UNIQUE INDEX IF NOT EXISTS balance_history_pool_day ON balance_history (day) WHERE key_id IS NULL;

-- Background work (balance checks). Progress persists so a job survives restarts.
CREATE TABLE IF NOT EXISTS jobs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('running', 'stopped', 'done', 'failed')),
  params      TEXT NOT NULL DEFAULT '{}',
  cursor      INTEGER NOT NULL DEFAULT 0,  -- every selected key with id <= cursor is done
  max_id      INTEGER NOT NULL DEFAULT 0,  -- keys imported after the job started are not in it
  key_ids     TEXT,                        -- JSON list when the job names its keys; NULL: a filter in params
  progress    TEXT NOT NULL DEFAULT '{}',  -- runner state: done ids past the cursor, pacing, user/info gone
  lease_until REAL,                        -- a chunk is running until then (one runner per job at a time)
  total       INTEGER NOT NULL DEFAULT 0,
  done        INTEGER NOT NULL DEFAULT 0,
  valid       INTEGER NOT NULL DEFAULT 0,
  invalid     INTEGER NOT NULL DEFAULT 0,
  exhausted   INTEGER NOT NULL DEFAULT 0,
  errors      INTEGER NOT NULL DEFAULT 0,
  created_at  REAL NOT NULL,
  updated_at  REAL NOT NULL,
  finished_at REAL,
  message     TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
