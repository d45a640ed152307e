//! Empty identity records with their ids set, for identity mappings to fill in. Every
//! field starts unknown (null, empty, `UNKNOWN`), so a mapping sets only what its vendor
//! says.

use tributary_model::{
    idp::{
        IdpApplication, IdpApplicationStatus, IdpGroup, IdpPolicy, IdpPolicyStatus, IdpPolicyType,
        IdpUser, IdpUserStatus,
    },
    ids::record_id,
    DataExportType,
};

use crate::mapping::MapContext;

/// A user with its record id and vendor id, everything else unknown.
pub fn user(ctx: &MapContext, vendor_id: &str) -> IdpUser {
    IdpUser {
        id: record_id(ctx.connection_id, DataExportType::Users, vendor_id),
        vendor_id: vendor_id.to_owned(),
        username: None,
        email: None,
        first_name: None,
        last_name: None,
        display_name: None,
        status: IdpUserStatus::Unknown,
        vendor_status: None,
        title: None,
        department: None,
        manager: None,
        is_admin: None,
        mfa_enrolled: None,
        vendor_created_at: None,
        last_login_at: None,
        last_updated_at: None,
        is_deleted: false,
        vendor_data: serde_json::json!({}),
        updated_at: None,
    }
}

/// A group with its record id and vendor id, everything else unknown.
pub fn group(ctx: &MapContext, vendor_id: &str) -> IdpGroup {
    IdpGroup {
        id: record_id(ctx.connection_id, DataExportType::Groups, vendor_id),
        types: vec![],
        description: None,
        name: None,
        vendor_id: vendor_id.to_owned(),
        vendor_created_at: None,
        last_membership_updated_at: None,
        last_updated_at: None,
        is_deleted: false,
        vendor_data: serde_json::json!({}),
        updated_at: None,
        users: None,
        applications: None,
    }
}

/// An application with its record id and vendor id, everything else unknown.
pub fn application(ctx: &MapContext, vendor_id: &str) -> IdpApplication {
    IdpApplication {
        id: record_id(ctx.connection_id, DataExportType::Applications, vendor_id),
        labels: vec![],
        name: None,
        vendor_id: vendor_id.to_owned(),
        version: None,
        vendor_status: None,
        vendor_created_at: None,
        last_updated_at: None,
        is_deleted: false,
        status: IdpApplicationStatus::Unknown,
        vendor_data: serde_json::json!({}),
        updated_at: None,
        users: None,
        groups: None,
    }
}

/// A policy with its record id and vendor id, everything else unknown.
pub fn policy(ctx: &MapContext, vendor_id: &str) -> IdpPolicy {
    IdpPolicy {
        id: record_id(ctx.connection_id, DataExportType::Policies, vendor_id),
        vendor_id: vendor_id.to_owned(),
        name: None,
        description: None,
        policy_type: IdpPolicyType::Other,
        vendor_type: None,
        status: IdpPolicyStatus::Unknown,
        vendor_status: None,
        priority: None,
        vendor_created_at: None,
        last_updated_at: None,
        is_deleted: false,
        vendor_data: serde_json::json!({}),
        updated_at: None,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn skeletons_carry_the_record_ids() {
        let ctx = MapContext {
            connection_id: Uuid::from_u128(3),
        };
        let c = ctx.connection_id;
        assert_eq!(user(&ctx, "u").id, record_id(c, DataExportType::Users, "u"));
        assert_eq!(
            group(&ctx, "g").id,
            record_id(c, DataExportType::Groups, "g")
        );
        let a = application(&ctx, "a");
        assert_eq!(a.id, record_id(c, DataExportType::Applications, "a"));
        let p = policy(&ctx, "p");
        assert_eq!(p.id, record_id(c, DataExportType::Policies, "p"));
        assert_eq!((p.vendor_id.as_str(), p.is_deleted), ("p", false));
    }
}
