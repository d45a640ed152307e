//! Organizations: the integrator's customers. Creating and deleting one is audited.

use serde_json::Value;
use tributary_store::models::{NewOrganization, OrganizationRecord};

use super::audit::{self, Changes, Target};
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

/// Creates an organization.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    org: NewOrganization,
) -> ApiResult<OrganizationRecord> {
    let created = state
        .store
        .create_organization(caller.account_id, org)
        .await?;
    let mut changes = Changes::default();
    changes.field("name", Value::Null, &created.name).field(
        "identifier",
        Value::Null,
        &created.identifier,
    );
    audit::record(
        state,
        caller,
        "created",
        Target::Organization(created.id),
        changes,
    )
    .await;
    Ok(created)
}

/// Soft-deletes an organization and its connections (they stop syncing).
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    org: &OrganizationRecord,
) -> ApiResult<OrganizationRecord> {
    let deleted = state
        .store
        .delete_organization(caller.account_id, org.id)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization"))?;
    let mut changes = Changes::default();
    changes.field("deleted_at", Value::Null, deleted.deleted_at);
    audit::record(
        state,
        caller,
        "deleted",
        Target::Organization(org.id),
        changes,
    )
    .await;
    Ok(deleted)
}
