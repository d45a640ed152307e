-- When a job was due: the connection's next_run_at when the scheduler queued it; when it
-- was asked for (manual, credential and creation runs). Start lag = started_at - due_at.
-- NULL on jobs queued before this migration.
ALTER TABLE jobs ADD COLUMN due_at BIGINT;
