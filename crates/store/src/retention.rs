//! Bounded history: what retention prunes and keeps, and the figures operators and the
//! fleet benchmark read (table sizes, job timings).

use chrono::{DateTime, Duration, Utc};

/// How much history to keep. Finished jobs (with their per-export results), health
/// events and quarantined records go when they are older than `max_age` or beyond the
/// newest `keep_per_connection` of their connection; finished webhook deliveries (with
/// their attempts and, once no delivery needs it, their message) when older than
/// `max_age`. Whatever the settings, a connection's most recent finished job, its most
/// recent health event, everything that describes an open failure (the health events
/// since the connection became unhealthy and the jobs they name), the quarantined
/// records of its most recent job, queued and running jobs and pending deliveries are
/// kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetentionPolicy {
    /// None: no age limit.
    pub max_age: Option<Duration>,
    /// None: no count limit. At least 1.
    pub keep_per_connection: Option<i64>,
}

impl RetentionPolicy {
    /// Keeps everything.
    pub const KEEP_ALL: RetentionPolicy = RetentionPolicy {
        max_age: None,
        keep_per_connection: None,
    };

    /// Prunes nothing.
    pub fn keeps_all(&self) -> bool {
        self.max_age.is_none() && self.keep_per_connection.is_none()
    }
}

/// Rows one pruning step deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: u64,
    pub job_exports: u64,
    pub health_events: u64,
    pub quarantine: u64,
    pub webhook_deliveries: u64,
    pub webhook_attempts: u64,
    pub webhook_messages: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.jobs
            + self.job_exports
            + self.health_events
            + self.quarantine
            + self.webhook_deliveries
            + self.webhook_attempts
            + self.webhook_messages
    }

    pub fn add(&mut self, other: Pruned) {
        self.jobs += other.jobs;
        self.job_exports += other.job_exports;
        self.health_events += other.health_events;
        self.quarantine += other.quarantine;
        self.webhook_deliveries += other.webhook_deliveries;
        self.webhook_attempts += other.webhook_attempts;
        self.webhook_messages += other.webhook_messages;
    }
}

/// One pruning step's position: the age rule runs everywhere each step; the count rule
/// walks connections in id order, a slice per step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCursor {
    /// The last connection the count rule looked at (None: start from the first).
    pub after_connection: Option<uuid::Uuid>,
}

/// What one pruning step did, and where the next one continues.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PruneStep {
    pub pruned: Pruned,
    /// Where the next step continues (a slice the count rule did not finish is taken
    /// again).
    pub next: PruneCursor,
    /// Another step has work: a table hit the batch limit, or the walk of connections
    /// has not come round yet. A pass steps until this is false.
    pub more: bool,
}

/// The tables retention bounds, as named in `tributary_table_rows{table=…}`.
pub const RETAINED_TABLES: &[&str] = &[
    "jobs",
    "job_exports",
    "health_events",
    "quarantine",
    "webhook_deliveries",
    "webhook_attempts",
    "webhook_messages",
];

/// When a job was due, queued, started and finished (the fleet benchmark's lag figures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobTiming {
    pub due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}
