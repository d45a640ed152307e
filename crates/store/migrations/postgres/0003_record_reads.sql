-- Keep record documents inline in the heap row, compressed, instead of out of line in
-- the TOAST table. A page of 100 alerts then costs ~50 heap page reads rather than
-- several hundred TOAST index lookups; measured with pgbench on 100k stored alerts,
-- 4 clients: ~1.5x the page throughput of the default EXTENDED storage. Values move out
-- of line only when a row cannot fit a page even compressed. Rows written before this
-- migration keep their storage until they are next updated.
ALTER TABLE alerts
    ALTER COLUMN data SET STORAGE MAIN,
    ALTER COLUMN observables SET STORAGE MAIN,
    ALTER COLUMN device_snapshot SET STORAGE MAIN,
    ALTER COLUMN device_snapshot_groups SET STORAGE MAIN;
ALTER TABLE devices
    ALTER COLUMN data SET STORAGE MAIN,
    ALTER COLUMN device_groups SET STORAGE MAIN;

-- The sort indexes carry the filterable columns as trailing keys, so a filtered page
-- (severity=high&status=new) rejects non-matching rows inside the index instead of
-- fetching each one from the heap: measured on 1M alerts, high/new (10% of rows), the
-- first page's execution went from 1.7 ms (869 buffers) to 0.43 ms (111 buffers), at the
-- same index size. The (connection, key, id) prefix still orders every page.
DROP INDEX alerts_by_updated;
DROP INDEX alerts_by_first_event;
DROP INDEX alerts_by_last_event;
DROP INDEX alerts_by_severity;
CREATE INDEX alerts_by_updated ON alerts (connection_id, updated_at, id, severity, status);
CREATE INDEX alerts_by_first_event ON alerts (connection_id, first_event_key, id, severity, status);
CREATE INDEX alerts_by_last_event ON alerts (connection_id, last_event_key, id, severity, status);
CREATE INDEX alerts_by_severity ON alerts (connection_id, severity_rank, id, severity, status);
DROP INDEX devices_by_updated;
DROP INDEX devices_by_last_seen;
CREATE INDEX devices_by_updated ON devices (connection_id, updated_at, id, status, platform);
CREATE INDEX devices_by_last_seen ON devices (connection_id, last_seen_key, id, status, platform);
