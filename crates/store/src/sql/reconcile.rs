//! Reconciling a complete listing: the records of the export that the listing did not
//! see are gone at the vendor. Identity records are marked `is_deleted` (and their
//! memberships end), in one transaction under the job's lease. Exports whose records have
//! no such state yet are refused; vulnerability findings absent from a complete snapshot
//! are the next to join (as FIXED), as one more arm here.

use std::collections::HashSet;

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

/// Marks what `listing` did not see; refused with `LeaseLost` if the worker lost the job.
pub(super) async fn run(db: &Db, listing: CompleteListing) -> Result<Reconciled> {
    let Some(kind) = IdpKind::of(listing.export) else {
        return Err(StoreError::Invalid(format!(
            "a complete listing of `{}` cannot be reconciled: only identity exports \
             (users, groups, applications, policies) mark unseen records deleted",
            listing.export
        )));
    };
    let now = now_micros();
    let mut tx = db.begin().await?;
    hold_lease(&mut tx, listing.job_id, &listing.lease_owner).await?;
    let q = Query::new(format!(
        "SELECT id FROM {} WHERE connection_id = $1 AND is_deleted = FALSE",
        kind.table()
    ))
    .bind(listing.connection_id);
    let live: Vec<LiveRow> = tx.exec().fetch_all(q).await?;
    let seen: HashSet<Uuid> = listing.seen.into_iter().collect();
    let gone: Vec<Uuid> = live
        .into_iter()
        .map(|r| r.id)
        .filter(|id| !seen.contains(id))
        .collect();
    let deleted = mark_deleted(&mut tx, listing.connection_id, kind, &gone, now).await?;
    tx.commit().await?;
    Ok(Reconciled { deleted })
}
