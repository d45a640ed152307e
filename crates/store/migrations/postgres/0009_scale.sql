-- Scale: the indexes that retention and health-filtered connection lists seek with
-- instead of scanning.

-- Retention walks finished jobs, health events, quarantined records and deliveries
-- oldest first, and checks which jobs an open failure's health events name.
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE INDEX health_events_at ON health_events (at);
CREATE INDEX health_events_by_job ON health_events (job_id);
CREATE INDEX quarantine_created ON quarantine (created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at);
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);

-- List Connections with healthStatusCodes: seek an organization's connections in the
-- named health states instead of walking all of them.
CREATE INDEX connections_org_health ON connections (organization_id, health_name, created_at, id);

-- Claims take the oldest queued job by (created_at, id): the index serves both keys,
-- so a claim never sorts the queue.
DROP INDEX jobs_queued;
CREATE INDEX jobs_queued ON jobs (created_at, id) WHERE status = 'QUEUED';
