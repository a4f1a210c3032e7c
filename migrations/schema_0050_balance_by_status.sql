-- The dashboard's balance figures (median, quartiles, the outlier fence) walk the valid keys'
-- balances in order: an index on (status, enabled, balance) answers each of them from the index
-- alone, reading only the rows up to the one it needs (D1 bills rows read). It serves every
-- lookup by status the old (status, enabled) index served, so that one goes: a status change
-- still writes one index row. Idempotent.
CREATE INDEX IF NOT EXISTS keys_by_status_balance ON keys (status, enabled, balance);
DROP INDEX IF EXISTS keys_by_status;
