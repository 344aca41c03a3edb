//! The application's error model: every failure a client can see has a stable [`ErrorCode`]
//! (GraphQL's `extensions.code`, a webhook answer's `code`), a human message, whether retrying
//! may help, and for broken rules the rule's name. Domain errors are mapped once, here;
//! adapters map an [`EngineError`] to their transport in one function each. Internal details
//! are logged, never sent.

use std::fmt;

use holdfast_domain::booking::BookingError;
use holdfast_domain::coupon::CouponError;
use holdfast_domain::inventory::InventoryError;
use holdfast_domain::listing::ListingError;
use holdfast_domain::policy::{PolicyError, PolicyViolation};

use crate::dispatch::DispatchError;

/// Stable error codes (`extensions.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is malformed or a value is out of range.
    InvalidInput,
    /// No such thing (or not visible to the caller).
    NotFound,
    /// Authenticated, but not allowed.
    Forbidden,
    /// No valid credentials where they are needed.
    Unauthenticated,
    /// A concurrent change won; retry.
    Conflict,
    /// Not enough capacity left.
    SoldOut,
    /// The slot is closed or not offered.
    SlotUnavailable,
    /// The listing's booking policy refuses the request.
    PolicyViolation,
    /// The coupon cannot be claimed or redeemed.
    CouponRejected,
    /// The points cannot be spent (more than the balance).
    PointsRejected,
    /// The payment does not match.
    PaymentRejected,
    /// It exists already (with different details).
    AlreadyExists,
    /// Not possible in the current state (e.g. cancelling a checked-in booking).
    InvalidState,
    /// A dependency is down; retry.
    Unavailable,
    /// A bounded wait (consistency token) ran out.
    Timeout,
    /// A bug or corrupt data: logged with details, reported without them.
    Internal,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::Forbidden,
        ErrorCode::Unauthenticated,
        ErrorCode::Conflict,
        ErrorCode::SoldOut,
        ErrorCode::SlotUnavailable,
        ErrorCode::PolicyViolation,
        ErrorCode::CouponRejected,
        ErrorCode::PaymentRejected,
        ErrorCode::AlreadyExists,
        ErrorCode::InvalidState,
        ErrorCode::Unavailable,
        ErrorCode::Timeout,
        ErrorCode::Internal,
    ];

    /// The code of a wire form (`SOLD_OUT`), if it is one.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The wire form, e.g. `SOLD_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::SoldOut => "SOLD_OUT",
            ErrorCode::SlotUnavailable => "SLOT_UNAVAILABLE",
            ErrorCode::PolicyViolation => "POLICY_VIOLATION",
            ErrorCode::CouponRejected => "COUPON_REJECTED",
            ErrorCode::PointsRejected => "POINTS_REJECTED",
            ErrorCode::PaymentRejected => "PAYMENT_REJECTED",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Whether the same request may succeed later.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Conflict | ErrorCode::Unavailable | ErrorCode::Timeout
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as a client sees it.
///
/// Deliberately not `Display` (nor `std::error::Error`): async-graphql turns any `Display`
/// value into an error *without* extensions, so a `?` in a resolver would silently drop the
/// code. Adapters convert it explicitly (the API in `holdfast_api::error`); logs use `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable message (never internal details).
    pub message: String,
    /// The broken rule's name, for domain rejections (e.g. `WindowNotOpen`).
    pub rule: Option<String>,
}

impl EngineError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            rule: None,
        }
    }

    /// Whether the same request may succeed later (its code's [`ErrorCode::retryable`]).
    pub fn retryable(&self) -> bool {
        self.code.retryable()
    }

    /// `UNAUTHENTICATED`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    /// `FORBIDDEN`.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "not allowed")
    }

    /// `NOT_FOUND` for a kind of thing.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// `INVALID_INPUT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// `INTERNAL`: logs `detail`, reports nothing of it.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    fn rejected(code: ErrorCode, error: &(impl fmt::Display + fmt::Debug)) -> Self {
        Self {
            code,
            message: error.to_string(),
            rule: Some(variant_name(error)),
        }
    }
}

/// The enum variant name of a derived `Debug` value (`SoldOut { .. }` → `SoldOut`).
fn variant_name(value: &impl fmt::Debug) -> String {
    format!("{value:?}")
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl From<PolicyViolation> for EngineError {
    fn from(e: PolicyViolation) -> Self {
        Self::rejected(ErrorCode::PolicyViolation, &e)
    }
}

impl From<PolicyError> for EngineError {
    fn from(e: PolicyError) -> Self {
        Self::rejected(ErrorCode::InvalidInput, &e)
    }
}

impl From<InventoryError> for EngineError {
    fn from(e: InventoryError) -> Self {
        use InventoryError as E;
        let code = match &e {
            E::SoldOut { .. } => ErrorCode::SoldOut,
            E::SlotClosed { .. } | E::SlotNotOffered { .. } => ErrorCode::SlotUnavailable,
            E::NotDefined | E::HoldNotFound { .. } | E::AllocationNotFound { .. } => {
                ErrorCode::NotFound
            }
            E::AlreadyDefined { .. } | E::HoldAlreadyExists { .. } => ErrorCode::AlreadyExists,
            E::CapacityBelowTaken { .. }
            | E::HoldAlreadyConfirmed { .. }
            | E::BookingAlreadyFinished { .. }
            | E::HoldNotConfirmed { .. } => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<CouponError> for EngineError {
    fn from(e: CouponError) -> Self {
        use CouponError as E;
        let code = match &e {
            E::NotCreated | E::RedemptionNotFound { .. } => ErrorCode::NotFound,
            E::AlreadyCreated { .. } => ErrorCode::AlreadyExists,
            E::NotStarted { .. }
            | E::Expired { .. }
            | E::Exhausted { .. }
            | E::PerGuestLimitReached { .. }
            | E::CampaignEnded
            | E::NoUnusedClaim { .. }
            | E::MinSpendNotMet { .. }
            | E::NotApplicableToListing { .. } => ErrorCode::CouponRejected,
            E::RedemptionConflict { .. }
            | E::RedemptionAlreadyRestored { .. }
            | E::RestoreNotAllowed => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<BookingError> for EngineError {
    fn from(e: BookingError) -> Self {
        use BookingError as E;
        let code = match &e {
            E::NotFound => ErrorCode::NotFound,
            E::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            E::PaymentAmountMismatch { .. } | E::PaymentReferenceConflict { .. } => {
                ErrorCode::PaymentRejected
            }
            E::IllegalTransition { .. }
            | E::OfferPending
            | E::NoPendingOffer { .. }
            | E::AlreadyHeld { .. }
            | E::CouponAlreadyApplied { .. }
            | E::CouponNotAllowed { .. }
            | E::HoldNotExpiredYet { .. }
            | E::RefundNotAllowed { .. }
            | E::TooEarlyToCheckIn { .. }
            | E::TooLateToCheckIn { .. }
            | E::TooEarlyForNoShow { .. }
            | E::AlreadyOffered { .. }
            | E::OfferExpired { .. }
            | E::OfferNotExpiredYet { .. }
            | E::NotRemindable { .. }
            | E::ReminderTooLate { .. } => ErrorCode::InvalidState,
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<ListingError> for EngineError {
    fn from(e: ListingError) -> Self {
        use ListingError as E;
        let code = match &e {
            E::NotCreated => ErrorCode::NotFound,
            E::AlreadyCreated => ErrorCode::AlreadyExists,
            E::IllegalTransition { .. }
            | E::SuspendedUseReinstate
            | E::NotSuspended { .. }
            | E::AlreadySuspended { .. }
            | E::Archived
            | E::Photo(holdfast_domain::listing::photos::PhotoRuleError::TooMany { .. }) => {
                ErrorCode::InvalidState
            }
            _ => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<holdfast_domain::tenant::TenantError> for EngineError {
    fn from(e: holdfast_domain::tenant::TenantError) -> Self {
        use holdfast_domain::tenant::TenantError as E;
        let code = match &e {
            E::NotOnboarded | E::NoSuchInvitation { .. } => ErrorCode::NotFound,
            E::AlreadyOnboarded | E::AlreadyAMember | E::InvitationIdTaken { .. } => {
                ErrorCode::AlreadyExists
            }
            E::NotAnOwner { .. } | E::NotAMember { .. } | E::WrongInvitationToken { .. } => {
                ErrorCode::Forbidden
            }
            E::Suspended
            | E::NotSuspended { .. }
            | E::AlreadySuspended { .. }
            | E::AlreadyInvited { .. }
            | E::InvitationClosed { .. }
            | E::InvitationExpired { .. }
            | E::LastOwner => ErrorCode::InvalidState,
            E::InvalidReason | E::InvalidExpiry => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<holdfast_domain::review::ReviewError> for EngineError {
    fn from(e: holdfast_domain::review::ReviewError) -> Self {
        use holdfast_domain::review::ReviewError as E;
        let code = match &e {
            E::NotYourBooking => ErrorCode::Forbidden,
            E::NoReview => ErrorCode::NotFound,
            E::AlreadyReviewed => ErrorCode::AlreadyExists,
            E::NotCompleted { .. } | E::WindowClosed { .. } => ErrorCode::InvalidState,
            E::InvalidRating { .. }
            | E::TextTooLong { .. }
            | E::InvalidText
            | E::InvalidPhoto
            | E::TooManyPhotos { .. }
            | E::InvalidReason => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<holdfast_domain::points::PointsError> for EngineError {
    fn from(e: holdfast_domain::points::PointsError) -> Self {
        use holdfast_domain::points::PointsError as E;
        let code = match &e {
            E::InsufficientPoints { .. } => ErrorCode::PointsRejected,
            E::AlreadyEarned { .. } | E::AlreadySpent { .. } | E::AdjustmentConflict(_) => {
                ErrorCode::AlreadyExists
            }
            E::NothingSpent => ErrorCode::InvalidState,
            E::NoAccount => ErrorCode::NotFound,
            E::InvalidTerms(_)
            | E::InvalidPoints { .. }
            | E::InvalidShare(_)
            | E::ExpiryInPast
            | E::InvalidReason => ErrorCode::InvalidInput,
        };
        Self::rejected(code, &e)
    }
}

impl From<holdfast_domain::points::platform::PlatformProgramError> for EngineError {
    fn from(e: holdfast_domain::points::platform::PlatformProgramError) -> Self {
        match e {}
    }
}

impl From<holdfast_domain::watch::WatchError> for EngineError {
    fn from(e: holdfast_domain::watch::WatchError) -> Self {
        use holdfast_domain::watch::WatchError as E;
        let code = match &e {
            E::InvalidSlots { .. } | E::InvalidParty => ErrorCode::InvalidInput,
            E::DatesPassed | E::Ended => ErrorCode::InvalidState,
            E::AlreadyStarted => ErrorCode::AlreadyExists,
            E::NotFound => ErrorCode::NotFound,
            E::NotYourWatch => ErrorCode::NotFound,
        };
        Self::rejected(code, &e)
    }
}

impl From<holdfast_domain::tenant::ValueError> for EngineError {
    fn from(e: holdfast_domain::tenant::ValueError) -> Self {
        Self::rejected(ErrorCode::InvalidInput, &e)
    }
}

impl<E> From<DispatchError<E>> for EngineError
where
    E: std::error::Error,
    EngineError: From<E>,
{
    fn from(e: DispatchError<E>) -> Self {
        match e {
            DispatchError::Rejected(e) => EngineError::from(e),
            DispatchError::Conflict { .. } => Self::new(ErrorCode::Conflict, e.to_string()),
            // Callers that attach a record answer from it; one that does not never gets this.
            DispatchError::KeyTaken => Self::new(
                ErrorCode::Conflict,
                "a request with this idempotency key ran concurrently; retry",
            ),
            DispatchError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "event store unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the event store is unavailable; retry",
                )
            }
            DispatchError::Internal(detail) => Self::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use holdfast_domain::common::Slot;

    #[test]
    fn sold_out_maps_to_its_code_rule_and_message() {
        let slot = Slot::parse("2030-07-01").unwrap();
        let e = EngineError::from(InventoryError::SoldOut {
            slot,
            requested: 2,
            available: 1,
        });
        assert_eq!(e.code, ErrorCode::SoldOut);
        assert_eq!(e.rule.as_deref(), Some("SoldOut"));
        assert!(e.message.contains("2030-07-01"), "{}", e.message);
        assert!(!e.code.retryable());
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let e: EngineError =
            DispatchError::<InventoryError>::Internal("relation \"events\" does not exist".into())
                .into();
        assert_eq!(e.code, ErrorCode::Internal);
        assert_eq!(e.message, "internal error");
        let e: EngineError =
            DispatchError::<InventoryError>::Unavailable("connection refused 10.0.0.7".into())
                .into();
        assert_eq!(e.code, ErrorCode::Unavailable);
        assert!(!e.message.contains("10.0.0.7") && e.code.retryable());
    }

    #[test]
    fn every_code_reads_back_from_its_wire_form() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::parse("sold_out"), None);
    }

    #[test]
    fn conflicts_are_retryable() {
        let e: EngineError = DispatchError::<BookingError>::Conflict { attempts: 10 }.into();
        assert_eq!((e.code, e.code.retryable()), (ErrorCode::Conflict, true));
    }
}
