//! A guest's contact details: what operators see beside a booking of their business and the
//! guest edits on their own page. These values never go into an event: they live in the
//! erasable profile store (`holdfast_engine::profiles`), referenced by the guest's id.

use crate::common::text::text_newtype;

/// Why a contact detail was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// Empty, too long or with a control character.
    #[error("a name is 1 to {max} characters with no control characters")]
    InvalidName {
        /// The longest.
        max: usize,
    },
    /// Not a phone number.
    #[error(
        "a phone number is 7 to 15 digits, optionally starting with + (spaces, dashes, dots and brackets are ignored)"
    )]
    InvalidPhone,
    /// Not a language the product speaks.
    #[error("the language must be one of: ko, en")]
    UnknownLanguage,
}

text_newtype!(
    /// A guest's name as they want to be called: 1–100 characters after trimming, no control
    /// characters.
    GuestName, ContactError
);

impl GuestName {
    /// The longest name.
    pub const MAX: usize = 100;

    /// Parses a name (trimmed).
    ///
    /// # Errors
    ///
    /// [`ContactError::InvalidName`].
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let name = input.trim();
        let length = name.chars().count();
        if length == 0 || length > Self::MAX || name.chars().any(char::is_control) {
            return Err(ContactError::InvalidName { max: Self::MAX });
        }
        Ok(Self(name.to_owned()))
    }
}

text_newtype!(
    /// A phone number: an optional `+` and 7–15 digits (E.164's longest), kept without the
    /// spaces, dashes, dots and brackets people type (`010-1234-5678` is `01012345678`,
    /// `+82 10 1234 5678` is `+821012345678`).
    Phone, ContactError
);

impl Phone {
    /// Parses a phone number.
    ///
    /// # Errors
    ///
    /// [`ContactError::InvalidPhone`].
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(ContactError::InvalidPhone),
            }
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(ContactError::InvalidPhone);
        }
        Ok(Self(format!("{plus}{digits}")))
    }
}

/// A language the product speaks to guests in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Korean.
    #[default]
    Ko,
    /// English.
    En,
}

impl Language {
    /// Every language.
    pub const ALL: [Language; 2] = [Language::Ko, Language::En];

    /// The BCP 47 tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ko => "ko",
            Language::En => "en",
        }
    }

    /// Parses a BCP 47 tag by its primary language (`en-GB` is English).
    ///
    /// # Errors
    ///
    /// [`ContactError::UnknownLanguage`].
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let primary = input.trim().split(['-', '_']).next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(primary))
            .ok_or(ContactError::UnknownLanguage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(GuestName::parse("  김민지 ").unwrap().as_str(), "김민지");
        for bad in ["", "   ", "a\u{0}b", "line\nbreak"] {
            assert_eq!(
                GuestName::parse(bad),
                Err(ContactError::InvalidName { max: 100 }),
                "{bad:?}"
            );
        }
        assert!(GuestName::parse(&"가".repeat(100)).is_ok());
        assert!(GuestName::parse(&"가".repeat(101)).is_err());
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(
            Phone::parse("010-1234-5678").unwrap().as_str(),
            "01012345678"
        );
        assert_eq!(
            Phone::parse(" +82 (10) 1234.5678 ").unwrap().as_str(),
            "+821012345678"
        );
        for bad in [
            "",
            "12345",
            "+1234567890123456",
            "010-CALL-ME",
            "1+2345678",
            "++8210",
        ] {
            assert_eq!(
                Phone::parse(bad),
                Err(ContactError::InvalidPhone),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn languages_are_korean_or_english() {
        assert_eq!(Language::parse("ko"), Ok(Language::Ko));
        assert_eq!(Language::parse("en-GB"), Ok(Language::En));
        assert_eq!(Language::parse("EN"), Ok(Language::En));
        assert_eq!(Language::parse("fr"), Err(ContactError::UnknownLanguage));
        assert_eq!(Language::parse(""), Err(ContactError::UnknownLanguage));
    }

    proptest! {
        #[test]
        fn a_parsed_phone_parses_to_itself(input in "\\+?[0-9 ().-]{0,30}") {
            if let Ok(phone) = Phone::parse(&input) {
                prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
                let digits = phone.as_str().trim_start_matches('+');
                prop_assert!(digits.chars().all(|c| c.is_ascii_digit()));
                prop_assert!((7..=15).contains(&digits.len()));
            }
        }
    }
}
