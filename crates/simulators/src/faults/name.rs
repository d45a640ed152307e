//! The names of vendors' own faults ([`super::Fault::Named`]).

use std::fmt;

/// The name of a vendor's own fault: short ASCII kept inline, so [`Fault`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FaultName {
    bytes: [u8; 32],
    len: u8,
}

impl FaultName {
    /// A snake_case name (lowercase letters, digits, at least one `_`), at most 32 long:
    /// the underscore keeps a mistyped keyword (`sideways`, `quota`) a parse error.
    pub fn new(name: &str) -> Option<FaultName> {
        let ok = name.contains('_')
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return None;
        }
        let mut bytes = [0; 32];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(FaultName {
            bytes,
            len: name.len() as u8,
        })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for FaultName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}
