-- How many jobs in a row ended in one of Tributary's own transient failures (storage
-- unavailable, a worker lost): the exponent of the short retry backoff that replaces
-- the refresh interval while it lasts (docs/health.md, "Our own failures"). 0 after any
-- other outcome.
ALTER TABLE connections ADD COLUMN platform_retries BIGINT NOT NULL DEFAULT 0;
