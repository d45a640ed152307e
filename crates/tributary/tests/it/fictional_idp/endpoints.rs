//! Acme Directory's name and API paths.

use tributary_model::Vendor;

pub const VENDOR: Vendor = Vendor::named("ACME_DIRECTORY");
pub const USERS: &str = "/api/users";
pub const GROUPS: &str = "/api/groups";
pub const APPS: &str = "/api/apps";
pub const POLICIES: &str = "/api/policies";
