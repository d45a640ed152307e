//! Complete listings (re-exported from [`crate::models`]): when an export run read
//! everything the vendor has, the records it did not see are gone, and the store
//! reconciles them.

use tributary_model::DataExportType;
use uuid::Uuid;

/// Every record id one export run committed, from a listing the reader vouched was
/// complete and that ended without an error or a quarantined record.
#[derive(Debug, Clone)]
pub struct CompleteListing {
    pub connection_id: Uuid,
    pub job_id: Uuid,
    /// The worker's lease id; refused with `LeaseLost` if the lease was lost.
    pub lease_owner: String,
    pub export: DataExportType,
    /// The ids of every record the run committed (changed or not).
    pub seen: Vec<Uuid>,
}

/// What a reconciliation changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Records the listing no longer had, now marked deleted (identity exports).
    pub deleted: u64,
    /// Findings the listing no longer had, now FIXED (vulnerability findings).
    pub fixed: u64,
}
