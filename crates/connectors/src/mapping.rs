//! The seam between vendor payloads and the normalized model.
//!
//! Each vendor folder has a `mapping.rs` with one pure function per data export (named by
//! the export's entry in the vendor's spec): a raw vendor record (a
//! [`View`](crate::view::View) of it, exactly as the vendor sent it, borrowed from the
//! page's text) goes in, a normalized record comes out. Mapping never panics: unknown enum values map to
//! `unknown` (or null where the enum has no unknown), odd types are tolerated where
//! the field is optional, and only a record that has no usable identity or whose
//! structure is not the vendor's is refused with a [`MappingError`] — the engine then
//! keeps it raw (quarantined) and counts it on the job.

pub use tributary_model::{
    edr::{MappedAlert, MappedDevice},
    record::Mapped,
};
use uuid::Uuid;

/// What a mapping needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct MapContext {
    /// The connection the record belongs to; record ids derive from it
    /// (see [`tributary_model::ids::record_id`]).
    pub connection_id: Uuid,
}

/// Why a record could not be normalized. The message names the field, never a value
/// (records can hold personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

impl MappingError {
    pub fn new(msg: impl Into<String>) -> Self {
        MappingError(msg.into())
    }
}
