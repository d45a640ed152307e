-- Freshness (docs/health.md, "Freshness"): per connection and data export, the time the
-- newest committed watermark stands for and the last successful pull, so each export's
-- data age is read without walking job history; and an optional per-connection
-- freshness target that raises FRESHNESS_TARGET_MISSED when a pull is overdue.
CREATE TABLE export_freshness (
    connection_id    UUID NOT NULL REFERENCES connections (id),
    data_export_type TEXT NOT NULL,
    -- The time the newest committed watermark stands for (a resume token: when it was
    -- committed); NULL while no watermark was committed.
    newest_record_at BIGINT,
    -- When a job last pulled this export to its end without a failure.
    last_success_at  BIGINT,
    PRIMARY KEY (connection_id, data_export_type)
);

-- No index of its own: the between-jobs pass walks connections by primary key and
-- seeks export_freshness and connection_advisories by theirs (docs/health.md, "Cost").
ALTER TABLE connections ADD COLUMN freshness_target_secs BIGINT;
