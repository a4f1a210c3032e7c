-- The audit trail: admin and guest actions (sign-ins, imports, deletions,
-- exports, key copies, settings, passwords, client keys). Never a secret:
-- `detail` holds counts, ids and masked keys only. Idempotent.
CREATE TABLE IF NOT EXISTS audit_log (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  ts       REAL NOT NULL,
  actor    TEXT NOT NULL,      -- "admin" (a session's username), "token", "guest", "anonymous"
  address  TEXT NOT NULL,      -- the client address the request came from
  action   TEXT NOT NULL,      -- e.g. "login.failed", "keys.import", "keys.export"
  count    INTEGER,            -- how many things it touched, where that means something
  detail   TEXT                -- JSON object, bounded
);
