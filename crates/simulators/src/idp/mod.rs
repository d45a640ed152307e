//! The identity-provider category: a directory of users, groups, applications and
//! policies, and the memberships between them, generated from the seed and rendered by each
//! IdP vendor folder (Okta, Entra ID) in its own shape. Like `edr`, nothing here knows a
//! vendor: `collections` declares the record kinds, `catalog` holds the vocabulary,
//! `profiles` says what a record of each kind is, `members` who belongs to which group,
//! `assignments` what apps and policies apply to.

pub mod assignments;
pub mod catalog;
pub mod collections;
pub mod members;
pub mod profiles;
