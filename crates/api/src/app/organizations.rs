//! Organizations: the integrator's customers.

use tributary_store::models::OrganizationRecord;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    state::AppState,
    validate::path_uuid,
};

/// An organization of the caller's account that is not deleted; 404 otherwise.
pub async fn live(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
) -> ApiResult<OrganizationRecord> {
    let id = path_uuid("organization_id", raw_id)?;
    match state.store.get_organization(caller.account_id, id).await? {
        Some(org) if org.deleted_at.is_none() => Ok(org),
        _ => Err(ApiError::not_found("Organization")),
    }
}
