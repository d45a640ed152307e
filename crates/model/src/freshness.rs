//! Freshness (docs/health.md, "Freshness"): how old each export's data is, computed when
//! it is read. Additive to the documented health object (`health.freshness[]`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DataExportType;

/// The stored facts of one export: what its ages are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessFacts {
    pub data_export_type: DataExportType,
    /// The time the newest committed watermark stands for (for a vendor's resume token,
    /// when it was committed); None while no watermark was committed.
    pub newest_record_at: Option<DateTime<Utc>>,
    /// When a job last pulled the export to its end without a failure.
    pub last_successful_pull_at: Option<DateTime<Utc>>,
}

/// One export's data age, as of `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportFreshness {
    pub data_export_type: DataExportType,
    /// The time the newest committed watermark stands for: the newest record's change
    /// time for time watermarks, the commit time for a watermark that is not one time
    /// (a delta link, a token holding several). Null while none was committed (an export read as a complete listing has
    /// no watermark).
    pub newest_record_at: Option<DateTime<Utc>>,
    /// When a job last pulled the export to its end without a failure; null if never.
    pub last_successful_pull_at: Option<DateTime<Utc>>,
    /// Seconds from `newest_record_at` to the time of reading; null with it.
    pub data_age_secs: Option<i64>,
    /// Seconds from `last_successful_pull_at` to the time of reading; null with it.
    pub pull_age_secs: Option<i64>,
}

impl FreshnessFacts {
    /// The ages as of `now` (never negative: a vendor's clock may run ahead).
    pub fn at(&self, now: DateTime<Utc>) -> ExportFreshness {
        let age = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_seconds().max(0));
        ExportFreshness {
            data_export_type: self.data_export_type,
            newest_record_at: self.newest_record_at,
            last_successful_pull_at: self.last_successful_pull_at,
            data_age_secs: age(self.newest_record_at),
            pull_age_secs: age(self.last_successful_pull_at),
        }
    }
}

/// The bounds of a connection's `freshness_target_secs`: a minute to 90 days.
pub const FRESHNESS_TARGET_MIN_SECS: i64 = 60;
pub const FRESHNESS_TARGET_MAX_SECS: i64 = 90 * 86_400;

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn ages_are_counted_from_each_time_and_null_without_one() {
        let now = Utc::now();
        let f = FreshnessFacts {
            data_export_type: DataExportType::Devices,
            newest_record_at: Some(now - Duration::seconds(90)),
            last_successful_pull_at: None,
        }
        .at(now);
        assert_eq!((f.data_age_secs, f.pull_age_secs), (Some(90), None));
        let ahead = FreshnessFacts {
            data_export_type: DataExportType::Alerts,
            newest_record_at: Some(now + Duration::seconds(5)),
            last_successful_pull_at: Some(now - Duration::seconds(7)),
        }
        .at(now);
        assert_eq!(
            (ahead.data_age_secs, ahead.pull_age_secs),
            (Some(0), Some(7))
        );
    }
}
