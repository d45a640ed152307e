//! The EDR category: a fleet of devices and the alerts raised on them, generated once from
//! the seed and rendered by each EDR vendor folder in its own shape. A new category (e.g.
//! vulnerability findings and assets, identity objects) is a sibling module like this one:
//! its collections, its streams and what a record of each kind looks like.

pub mod catalog;
pub mod collections;
pub mod profiles;
