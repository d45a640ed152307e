//! Upper-case wire enums with their value list, wire names and a forgiving parser: one
//! definition for every category whose documented enums are upper case (VMS, IDP).

/// Declares an enum whose variants serialize as the given wire values, with `ALL`,
/// `as_str` and a case-insensitive `parse` (filters are written by hand).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire value, case-insensitively (filters are written by hand).
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use utoipa::{
        openapi::{RefOr, Schema},
        PartialSchema,
    };

    wire_enum! {
        /// A test enum.
        Answer { Yes = "YES", NotSure = "NOT_SURE" }
    }

    #[test]
    fn the_published_schema_lists_the_wire_values() {
        // A `literal` fragment reaches utoipa inside an invisible group it does not read,
        // and the schema then listed the Rust names: the values are passed as tokens.
        let RefOr::T(Schema::Object(o)) = Answer::schema() else {
            panic!("an object schema");
        };
        let values: Vec<_> = o.enum_values.unwrap_or_default();
        assert_eq!(values, ["YES", "NOT_SURE"]);
        assert_eq!(serde_json::to_value(Answer::NotSure).unwrap(), "NOT_SURE");
        assert_eq!(Answer::parse(" yes "), Some(Answer::Yes));
        assert_eq!(Answer::ALL.len(), 2);
    }
}
