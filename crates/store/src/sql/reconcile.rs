//! Reconciling a complete listing: the records of the export that the listing did not
//! see are gone at the vendor, in one transaction under the job's lease. Identity records
//! are marked `is_deleted` (and their memberships end); vulnerability findings become
//! FIXED (a snapshot vendor's only fix signal is absence). Other exports are refused.

use std::collections::HashSet;

use tributary_model::{vms::FindingState, DataExportType};
use uuid::Uuid;

use super::{idp::mark_deleted, upsert::hold_lease};
use crate::{
    db::{Db, Query},
    models::{CompleteListing, IdpKind, Reconciled},
    time::now_micros,
    traits::Result,
    StoreError,
};

#[derive(sqlx::FromRow)]
struct LiveRow {
    id: Uuid,
}

/// The records `listing` did not see, of those `live_sql` selects (bound to the connection).
async fn unseen(
    tx: &mut crate::db::Tx,
    live_sql: String,
    listing: &CompleteListing,
) -> Result<Vec<Uuid>> {
    let q = Query::new(live_sql).bind(listing.connection_id);
    let live: Vec<LiveRow> = tx.exec().fetch_all(q).await?;
    let seen: HashSet<Uuid> = listing.seen.iter().copied().collect();
    Ok(live
        .into_iter()
        .map(|r| r.id)
        .filter(|id| !seen.contains(id))
        .collect())
}

/// Marks what `listing` did not see; refused with `LeaseLost` if the worker lost the job.
pub(super) async fn run(db: &Db, listing: CompleteListing) -> Result<Reconciled> {
    let kind = IdpKind::of(listing.export);
    if kind.is_none() && listing.export != DataExportType::Vulnerabilities {
        return Err(StoreError::Invalid(format!(
            "a complete listing of `{}` cannot be reconciled: only identity exports \
             (users, groups, applications, policies) mark unseen records deleted, and \
             vulnerability findings mark them fixed",
            listing.export
        )));
    }
    let now = now_micros();
    let mut tx = db.begin().await?;
    hold_lease(&mut tx, listing.job_id, &listing.lease_owner).await?;
    let done = match kind {
        Some(kind) => {
            let sql = format!(
                "SELECT id FROM {} WHERE connection_id = $1 AND is_deleted = FALSE",
                kind.table()
            );
            let gone = unseen(&mut tx, sql, &listing).await?;
            Reconciled {
                deleted: mark_deleted(&mut tx, listing.connection_id, kind, &gone, now).await?,
                fixed: 0,
            }
        }
        None => {
            let sql = format!(
                "SELECT id FROM vulnerability_findings WHERE connection_id = $1 AND state <> '{}'",
                FindingState::Fixed.as_str()
            );
            let gone = unseen(&mut tx, sql, &listing).await?;
            Reconciled {
                deleted: 0,
                fixed: super::findings::mark_fixed(&mut tx, &gone, now).await?,
            }
        }
    };
    tx.commit().await?;
    Ok(done)
}
