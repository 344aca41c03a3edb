//! The validated values a business is made of. Each parses from raw input and cannot exist
//! invalid; deserialising validates again.

use serde::{Deserialize, Serialize};

use super::error::ValueError;

/// Words a slug may not be: they name the site's own pages.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin", "api", "app", "assets", "console", "graphql", "health", "healthz", "login", "logout",
    "metrics", "readyz", "signin", "signout", "signup", "static", "www",
];

use crate::common::text::text_newtype;

fn shown(input: &str) -> String {
    input.chars().take(64).collect()
}

text_newtype!(
    /// A business's display name: 1–100 characters after trimming, no control characters.
    BusinessName, ValueError
);

impl BusinessName {
    /// The longest name.
    pub const MAX: usize = 100;

    /// Parses a name (trimmed).
    ///
    /// # Errors
    ///
    /// [`ValueError::InvalidName`] when empty, too long or with a control character.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let name = input.trim();
        let length = name.chars().count();
        if length == 0 || length > Self::MAX || name.chars().any(char::is_control) {
            return Err(ValueError::InvalidName {
                length,
                max: Self::MAX,
            });
        }
        Ok(Self(name.to_owned()))
    }
}

text_newtype!(
    /// The business's address on the booking site (`/b/<slug>`): 3–40 of `a-z`, `0-9` and
    /// `-`, starting with a letter, not ending with `-`, no `--`, not a reserved word.
    Slug, ValueError
);

impl Slug {
    /// The shortest slug.
    pub const MIN: usize = 3;
    /// The longest slug.
    pub const MAX: usize = 40;

    /// Parses a slug (trimmed and lower-cased first, so `Mia-Bingsu` is `mia-bingsu`).
    ///
    /// # Errors
    ///
    /// [`ValueError::InvalidSlug`] saying what is wrong, or [`ValueError::ReservedSlug`].
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let slug = input.trim().to_ascii_lowercase();
        let problem = if slug.len() < Self::MIN || slug.len() > Self::MAX {
            Some("3 to 40 characters")
        } else if !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            Some("only letters a-z, digits and '-'")
        } else if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
            Some("starts with a letter")
        } else if slug.ends_with('-') || slug.contains("--") {
            Some("no '-' at the end and no '--'")
        } else {
            None
        };
        if let Some(rule) = problem {
            return Err(ValueError::InvalidSlug {
                input: shown(input),
                rule,
            });
        }
        if RESERVED_SLUGS.contains(&slug.as_str()) {
            return Err(ValueError::ReservedSlug { slug });
        }
        Ok(Self(slug))
    }
}

text_newtype!(
    /// A colour as `#rrggbb` (lower-cased).
    HexColour, ValueError
);

impl HexColour {
    /// Parses `#rrggbb` (any case).
    ///
    /// # Errors
    ///
    /// [`ValueError::InvalidColour`].
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let colour = input.trim().to_ascii_lowercase();
        let ok = colour.len() == 7
            && colour.starts_with('#')
            && colour[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            return Err(ValueError::InvalidColour {
                input: shown(input),
            });
        }
        Ok(Self(colour))
    }
}

text_newtype!(
    /// Where a business's logo is kept (a key of the photo store): 1–200 of `A-Z a-z 0-9 / . _
    /// -`, no `..`, not starting with `/`.
    LogoRef, ValueError
);

impl LogoRef {
    /// The longest reference.
    pub const MAX: usize = 200;

    /// Parses a reference.
    ///
    /// # Errors
    ///
    /// [`ValueError::InvalidLogo`].
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let ok = !input.is_empty()
            && input.len() <= Self::MAX
            && input
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
            && !input.contains("..")
            && !input.starts_with('/');
        if !ok {
            return Err(ValueError::InvalidLogo {
                input: shown(input),
            });
        }
        Ok(Self(input.to_owned()))
    }
}

text_newtype!(
    /// A digest the engine computed (64 lower-case hex digits: a keyed SHA-256 of an e-mail
    /// address, or of a one-time token). Two equal inputs give equal digests; the input cannot
    /// be read back from it.
    Digest, ValueError
);

impl Digest {
    /// Parses 64 hex digits (lower-cased).
    ///
    /// # Errors
    ///
    /// [`ValueError::InvalidDigest`].
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let digest = input.to_ascii_lowercase();
        if digest.len() != 64 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ValueError::InvalidDigest);
        }
        Ok(Self(digest))
    }
}

/// How the booking site shows a business.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// Its main colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<HexColour>,
    /// Its logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<LogoRef>,
}

/// Parses an IANA time zone name (`Asia/Seoul`).
///
/// # Errors
///
/// [`ValueError::UnknownTimeZone`].
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz, ValueError> {
    name.trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| ValueError::UnknownTimeZone { name: shown(name) })
}
