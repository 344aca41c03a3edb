//! Why a listing command was refused.

use super::status::ListingStatus;
use super::values::SuspensionReason;
use crate::policy::PolicyError;

/// What is wrong with a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    /// Empty after trimming.
    #[error("empty")]
    Empty,
    /// Longer than allowed.
    #[error("{length} characters, at most {max}")]
    TooLong {
        /// Characters given.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Contains a control character.
    #[error("contains a control character")]
    ControlCharacter,
}

/// Why a location was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// The address is empty, too long or has control characters.
    #[error("invalid address: {problem}")]
    InvalidAddress {
        /// What is wrong.
        problem: TextProblem,
    },
    /// Not `CC` or `CC-SSS`.
    #[error("`{code}` is not an ISO 3166 region code")]
    InvalidRegionCode {
        /// The code given (upper-cased, truncated).
        code: String,
    },
    /// Latitude outside −90..=90°.
    #[error("latitude {lat_e7}e-7 outside -90..=90 degrees")]
    LatitudeOutOfRange {
        /// Latitude given, in 10⁻⁷ degrees.
        lat_e7: i64,
    },
    /// Longitude outside −180..=180°.
    #[error("longitude {lon_e7}e-7 outside -180..=180 degrees")]
    LongitudeOutOfRange {
        /// Longitude given, in 10⁻⁷ degrees.
        lon_e7: i64,
    },
    /// Not a decimal number of degrees with at most 7 decimals.
    #[error("`{input}` is not a coordinate in decimal degrees")]
    MalformedCoordinate {
        /// The text given (truncated).
        input: String,
    },
}

/// A listing command that breaks a rule. One variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// Attributes that do not validate.
    #[error(transparent)]
    Attributes(#[from] crate::inventory::ContentError),
    /// A photo rule broken.
    #[error(transparent)]
    Photo(#[from] super::photos::PhotoRuleError),
    /// `UncountReview` of stars the ratings do not hold (or a count past `u32::MAX`).
    #[error("the listing's ratings hold no {stars}-star review to take out")]
    RatingNotCounted {
        /// The stars.
        stars: u8,
    },
    /// `CreateListing` on a listing that exists (with different contents).
    #[error("listing already created")]
    AlreadyCreated,
    /// Any other command before `CreateListing`.
    #[error("listing not created")]
    NotCreated,
    /// A status change the state machine does not allow.
    #[error("cannot go from {from:?} to {to:?}")]
    IllegalTransition {
        /// Current status.
        from: ListingStatus,
        /// Status asked for.
        to: ListingStatus,
    },
    /// `Publish` on a suspended listing: only `Reinstate` lifts a suspension.
    #[error("a suspended listing is put back with Reinstate, not Publish")]
    SuspendedUseReinstate,
    /// `Reinstate` on a draft: a draft is published, not reinstated.
    #[error("only a suspended listing can be reinstated (it is {status:?})")]
    NotSuspended {
        /// Current status.
        status: ListingStatus,
    },
    /// `Suspend` on a listing already suspended for another reason.
    #[error("already suspended: {reason}")]
    AlreadySuspended {
        /// The reason in force.
        reason: SuspensionReason,
    },
    /// An edit of an archived listing.
    #[error("listing is archived")]
    Archived,
    /// Name empty, too long or with control characters.
    #[error("invalid name: {problem}")]
    InvalidName {
        /// What is wrong.
        problem: TextProblem,
    },
    /// More than 32 distinct tags.
    #[error("{count} tags, at most {max}")]
    TooManyTags {
        /// Tags given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A tag empty, too long or with control characters.
    #[error("invalid tag `{tag}`: {problem}")]
    InvalidTag {
        /// The tag (normalised, truncated).
        tag: String,
        /// What is wrong.
        problem: TextProblem,
    },
    /// Description longer than 10 000 characters.
    #[error("description of {length} characters, at most {max}")]
    DescriptionTooLong {
        /// Characters given.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Description with control characters (other than line breaks and tabs).
    #[error("invalid description: {problem}")]
    InvalidDescription {
        /// What is wrong.
        problem: TextProblem,
    },
    /// Invalid address, region or coordinates.
    #[error("invalid location: {0}")]
    InvalidLocation(#[from] LocationError),
    /// Not an IANA time zone name.
    #[error("unknown time zone `{name}`")]
    UnknownTimeZone {
        /// The name given (truncated).
        name: String,
    },
    /// A negative display price.
    #[error("display price must not be negative, got {amount_minor}")]
    NegativePrice {
        /// The amount given, in minor units.
        amount_minor: i64,
    },
    /// Suspension reason empty or too long.
    #[error("invalid suspension reason: {problem}")]
    InvalidSuspensionReason {
        /// What is wrong.
        problem: TextProblem,
    },
    /// The booking policy is invalid.
    #[error("invalid booking policy: {0}")]
    InvalidPolicy(#[from] PolicyError),
}
