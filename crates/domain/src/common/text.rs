//! [`text_newtype!`]: a validated string value — `as_str`, `Display`, and serde through
//! `String` that validates again on the way in (the type's own `parse`).

/// Declares `pub struct $name(String)` whose `TryFrom<String>` (and so deserialisation) is
/// `$name::parse`, refusing with `$error`.
macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $error:ty) => {
        $(#[$doc])*
        #[derive(
            Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

pub(crate) use text_newtype;
