-- Secrets the app keeps itself, apart from the settings (GET /api/settings never
-- shows this table, and backups never contain it): password verifiers
-- (PBKDF2, never a password), the local server's generated session secret,
-- the session generation ("sign out everywhere"). Idempotent.
CREATE TABLE IF NOT EXISTS secrets (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  REAL NOT NULL
);

-- Sessions ended before they expired (sign-out); kept until they would have expired.
CREATE TABLE IF NOT EXISTS revoked_sessions (
  id          TEXT PRIMARY KEY,
  expires_at  INTEGER NOT NULL
);
